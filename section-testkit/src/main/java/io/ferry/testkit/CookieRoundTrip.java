package io.ferry.testkit;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.SectionHandle;
import java.util.Optional;

/**
 * A section's value through the real cookie codec: formatted into a whole {@code <qemu-migration>} cookie by the
 * daemon's writer, read back by its hardened parser under the eating rules of a phase, parsed by the section.
 *
 * @param <T> the section's value
 */
public final class CookieRoundTrip<T> {
    private static final SectionContext.Host BAKER = new SectionContext.Host("source", CoreParts.uuid(1));
    private static final SectionContext.Host EATER = new SectionContext.Host("destination", CoreParts.uuid(2));

    private final SectionMetadata metadata;
    private final SectionHandle handle;

    private CookieRoundTrip(CookieSection<T> section, SectionMetadata metadata) {
        this.metadata = metadata;
        this.handle = CoreParts.handle(section, metadata, CoreParts.SECTION_TIMEOUT);
    }

    /** For {@code section}, with the metadata its class declares. */
    public static <T> CookieRoundTrip<T> of(CookieSection<T> section) {
        return new CookieRoundTrip<>(section, SectionMetadata.of(section.getClass()));
    }

    public static <T> CookieRoundTrip<T> of(CookieSection<T> section, SectionMetadata metadata) {
        return new CookieRoundTrip<>(section, metadata);
    }

    /** The cookie a daemon sends with {@code value} baked (its feature announced when the section is mandatory). */
    public String cookie(T value) {
        try {
            Phase bakedIn = metadata.bakes().stream().sorted().findFirst().orElse(Phase.BEGIN);
            return CoreParts.cookie(handle, value, metadata.mandatory() != Mandatory.NEVER,
                    new TestSectionContext().localHost(BAKER).phase(bakedIn));
        } catch (CookieException e) {
            throw new AssertionError("the cookie cannot be written: " + e.getMessage(), e);
        }
    }

    /**
     * {@code value} formatted into a cookie and parsed back by every phase that eats the section; fails the test
     * unless each of them reads a value equal to {@code value}. Returns what the first of them read.
     */
    public T roundTrip(T value) {
        String cookie = cookie(value);
        T first = null;
        for (Phase phase : metadata.eats()) {
            T read;
            try {
                read = read(cookie, phase);
            } catch (CookieException e) {
                throw new AssertionError("the eater of " + phase.cliName() + " refuses the cookie: " + e.getMessage()
                        + "\n" + cookie, e);
            }
            if (!value.equals(read)) {
                throw new AssertionError("round trip through " + phase.cliName() + " changed the value: expected <" + value
                        + "> but was <" + read + ">\n" + cookie);
            }
            first = first == null ? read : first;
        }
        if (first == null) {
            throw new AssertionError("cookie section " + metadata.feature() + " eats in no phase");
        }
        return first;
    }

    /**
     * Parses {@code fragment}, the section's element as XML text, inside a whole cookie, as the eater of
     * {@code phase} would.
     *
     * @throws CookieException the daemon's refusal, when it would refuse the cookie
     */
    public T parse(String fragment, Phase phase) throws CookieException {
        String cookie = "<qemu-migration><name>" + TestSectionContext.DOMAIN_NAME + "</name><uuid>" + TestSectionContext.DOMAIN_UUID
                + "</uuid><hostname>" + BAKER.hostname() + "</hostname><hostuuid>" + BAKER.uuid() + "</hostuuid>" + fragment
                + "</qemu-migration>";
        return read(cookie, phase);
    }

    @SuppressWarnings("unchecked")
    private T read(String cookie, Phase phase) throws CookieException {
        Optional<Object> value = CoreParts.parse(cookie, phase, handle, new TestSectionContext().localHost(EATER)).value();
        return (T) value.orElse(null);
    }
}
