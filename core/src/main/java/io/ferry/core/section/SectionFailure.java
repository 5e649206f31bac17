package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;
import java.util.Optional;

/**
 * A section that threw, timed out or vanished; the message names the section and what it was doing, or is the
 * section's own when it refused with a {@link CookieException} (its cause then).
 */
public class SectionFailure extends CookieException {
    private static final long serialVersionUID = 1L;

    /** The section at fault, where the failure is its own doing; not serialized. */
    private final transient SectionHandle section;

    public SectionFailure(String message) {
        this(message, null, null);
    }

    public SectionFailure(String message, Throwable cause) {
        this(message, cause, null);
    }

    public SectionFailure(String message, Throwable cause, SectionHandle section) {
        super(message, cause);
        this.section = section;
    }

    /** The section whose call failed (it threw, overran its limit or was gone), when the failure is its own. */
    public Optional<SectionHandle> section() {
        return Optional.ofNullable(section);
    }
}
