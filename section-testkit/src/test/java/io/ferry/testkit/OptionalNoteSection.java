package io.ferry.testkit;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionProperties;
import org.osgi.service.component.annotations.Component;

/** {@link NoteSection}, optional. */
@Component(service = CookieSection.class)
@SectionProperties(feature = "note", element = "note", bakes = {Phase.BEGIN, Phase.PERFORM}, eats = {Phase.PREPARE, Phase.FINISH})
public class OptionalNoteSection extends NoteSection {
}
