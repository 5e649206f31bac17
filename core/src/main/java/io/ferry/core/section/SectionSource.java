package io.ferry.core.section;

import io.ferry.api.cookie.CookieSection;

/** Where a handle gets its section object for one call, and gives it back after. */
public interface SectionSource {
    /** @throws SectionGone if the section has gone (its bundle stopped or was updated away) */
    CookieSection<Object> acquire() throws SectionGone;

    void release(CookieSection<Object> section);

    /** A section object that is always there: built-ins outside a framework, and tests. */
    @SuppressWarnings("unchecked")
    static SectionSource of(CookieSection<?> section) {
        CookieSection<Object> fixed = (CookieSection<Object>) section;
        return new SectionSource() {
            @Override
            public CookieSection<Object> acquire() {
                return fixed;
            }

            @Override
            public void release(CookieSection<Object> section) {
            }
        };
    }
}
