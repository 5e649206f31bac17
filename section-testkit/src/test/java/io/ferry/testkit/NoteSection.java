package io.ferry.testkit;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;

/** A mandatory section that notes which domain and phase baked it, fails where a test says, and may have nothing to say. */
@Component(service = CookieSection.class, property = "service.ranking:Integer=5")
@SectionProperties(feature = "note", element = "note", version = "1.2", mandatory = Mandatory.WHEN_BAKED,
        bakes = {Phase.BEGIN, Phase.PERFORM}, eats = {Phase.PREPARE, Phase.FINISH})
public class NoteSection implements CookieSection<String> {
    final AtomicInteger parsed = new AtomicInteger();
    Phase failIn;
    boolean silent;
    /** What it eats where a cookie has no note; null: nothing. */
    String absent;
    /** Whether it reads a note as nothing. */
    boolean readsNothing;

    /** Its metadata as declared, but for whether it is mandatory and the phases it bakes and eats in. */
    static SectionMetadata metadata(Mandatory mandatory, Set<Phase> bakes, Set<Phase> eats) {
        return metadata(Map.of(CookieSection.MANDATORY, mandatory.name(), CookieSection.BAKES, names(bakes),
                CookieSection.EATS, names(eats)));
    }

    /** Its metadata as declared, but for its element and version. */
    static SectionMetadata metadata(String element, String version) {
        return metadata(Map.of(CookieSection.ELEMENT, element, CookieSection.VERSION, version));
    }

    /** Its metadata as declared, but for the service properties given, as the daemon reads them. */
    static SectionMetadata metadata(Map<String, Object> changed) {
        Map<String, Object> properties = new HashMap<>(SectionMetadata.of(NoteSection.class).properties());
        properties.putAll(changed);
        return SectionMetadata.from(properties, "a test's note section");
    }

    static String[] names(Set<Phase> phases) {
        return phases.stream().map(Phase::name).toArray(String[]::new);
    }

    @Override
    public String parse(Element fragment) throws CookieException {
        parsed.incrementAndGet();
        if (!fragment.hasAttribute("text")) {
            throw new CookieException("missing text attribute in note section");
        }
        return readsNothing ? null : fragment.getAttribute("text");
    }

    @Override
    public String absent() {
        return absent;
    }

    @Override
    public void format(String value, Element fragment) {
        fragment.setAttribute("text", value);
    }

    @Override
    public Optional<String> bake(SectionContext context) {
        failHere(context);
        if (silent) {
            return Optional.empty();
        }
        return Optional.of(context.domainName() + "@" + context.phase().cliName());
    }

    @Override
    public void eat(SectionContext context, String value) {
        failHere(context);
        context.info("ate " + value + " from " + context.remoteHost().map(SectionContext.Host::hostname).orElse("?"));
    }

    private void failHere(SectionContext context) {
        if (context.phase() == failIn) {
            throw new IllegalStateException("told to fail at " + failIn.cliName());
        }
    }
}
