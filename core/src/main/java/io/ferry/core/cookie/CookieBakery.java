package io.ferry.core.cookie;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sections of a phase: bakes the outgoing cookie, eats the incoming one. A section that can be
 * mandatory fails the phase when it fails; an optional one is skipped with a warning, as libvirt treats
 * graphics relocation.
 */
public final class CookieBakery {
    private static final Logger LOG = LoggerFactory.getLogger(CookieBakery.class);

    private final CookieCodec codec;

    public CookieBakery(CookieCodec codec) {
        this.codec = codec;
    }

    public CookieCodec codec() {
        return codec;
    }

    /** A baked cookie, and what went into it. */
    public record Baked(String xml, List<String> features, List<ParsedCookie.Section> sections) {
    }

    /**
     * Bakes the cookie of {@code context.phase()} from the sections that bake in it.
     *
     * @param context the phase and migration; {@code feature} is set per section
     */
    public Baked bake(CookieHeader header, SectionSet sections, MigrationSectionContext context) throws CookieException {
        List<ParsedCookie.Section> baked = new ArrayList<>();
        List<String> features = new ArrayList<>();
        for (SectionHandle handle : sections.all()) {
            if (!handle.descriptor().bakesIn(context.phase())) {
                continue;
            }
            Optional<Object> value;
            try {
                value = handle.bake(context.forSection(handle.descriptor().feature()));
            } catch (CookieException e) {
                if (handle.descriptor().mandatory() != Mandatory.NEVER) {
                    throw e;
                }
                LOG.warn("skipping optional cookie section {}: {}",
                        handle.descriptor().feature(), e.getMessage());
                continue;
            }
            if (value.isPresent()) {
                baked.add(new ParsedCookie.Section(handle, value.get()));
                if (handle.descriptor().mandatory() == Mandatory.WHEN_BAKED) {
                    features.add(handle.descriptor().feature());
                }
            }
        }
        return new Baked(codec.format(header, features, baked), features, baked);
    }

    /** Lets every parsed section act on its value, in canonical order. */
    public void eat(ParsedCookie cookie, MigrationSectionContext context) throws CookieException {
        for (ParsedCookie.Section section : cookie.sections()) {
            SectionHandle handle = section.handle();
            try {
                handle.eat(context.forSection(handle.descriptor().feature()), section.value());
            } catch (CookieException e) {
                boolean announced = cookie.features().contains(handle.descriptor().feature());
                if (announced || handle.descriptor().mandatory() != Mandatory.NEVER) {
                    throw e;
                }
                LOG.warn("optional cookie section {} could not act on its data: {}",
                        handle.descriptor().feature(), e.getMessage());
            }
        }
    }
}
