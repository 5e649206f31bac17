package io.ferry.core.cookie;

import io.ferry.core.section.SectionHandle;
import java.util.List;
import java.util.Optional;

/**
 * A cookie that passed every check, with the values of the sections its eater accepts, in canonical order.
 *
 * @param features the {@code <feature>} names it announced, in its order
 * @param source what it was parsed from, to parse it again with other registrations of its sections; null when it was
 *        not parsed from a cookie (or is a part of one)
 */
public record ParsedCookie(CookieHeader header, List<String> features, List<Section> sections, Source source) {

    public ParsedCookie {
        features = List.copyOf(features);
        sections = List.copyOf(sections);
    }

    public ParsedCookie(CookieHeader header, List<String> features, List<Section> sections) {
        this(header, features, sections, null);
    }

    /** The cookie's bytes and the rules it was parsed by. */
    public record Source(byte[] xml, EatRules rules) {
    }

    public Optional<Object> value(String feature) {
        return sections.stream().filter(s -> s.handle().descriptor().feature().equals(feature))
                .map(Section::value).findFirst();
    }

    /** One section's parsed value and the handle that parsed it. */
    public record Section(SectionHandle handle, Object value) {
    }
}
