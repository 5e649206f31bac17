package io.ferry.core.cookie;

import io.ferry.core.section.SectionHandle;
import java.util.List;
import java.util.Optional;

/**
 * A cookie that passed every check, with the values of the sections its eater accepts, in canonical order.
 *
 * @param features the {@code <feature>} names it announced, in its order
 */
public record ParsedCookie(CookieHeader header, List<String> features, List<Section> sections) {

    public ParsedCookie {
        features = List.copyOf(features);
        sections = List.copyOf(sections);
    }

    public Optional<Object> value(String feature) {
        return sections.stream().filter(s -> s.handle().descriptor().feature().equals(feature))
                .map(Section::value).findFirst();
    }

    /** One section's parsed value and the handle that parsed it. */
    public record Section(SectionHandle handle, Object value) {
    }
}
