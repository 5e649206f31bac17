package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;

/** A section that threw, timed out or vanished; the message names the section and what it was doing. */
public class SectionFailure extends CookieException {
    private static final long serialVersionUID = 1L;

    public SectionFailure(String message) {
        super(message);
    }

    public SectionFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
