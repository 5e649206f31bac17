package io.ferry.core.cookie;

import io.ferry.api.cookie.Phase;
import io.ferry.core.section.SectionDescriptor;
import java.util.UUID;

/**
 * What an eater checks an incoming cookie against.
 *
 * @param phase the eating phase, or null to accept every section (the round-trip tool)
 * @param localHostUuid this host's UUID, refused as the cookie's host; null skips the check
 * @param expectedName the domain's name, or null to accept any
 * @param expectedUuid the domain's UUID, or null to accept any
 */
public record EatRules(Phase phase, UUID localHostUuid, String expectedName, String expectedUuid) {

    /** Every section accepted, no identity checked: parse and re-format. */
    public static EatRules roundTrip() {
        return new EatRules(null, null, null, null);
    }

    public boolean accepts(SectionDescriptor section) {
        return phase == null || section.eatsIn(phase);
    }
}
