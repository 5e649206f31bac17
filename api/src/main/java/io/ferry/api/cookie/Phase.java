package io.ferry.api.cookie;

import java.util.Locale;

/** The five steps of migration protocol v3, in the order they run. */
public enum Phase {
    /** Source: checks the VM may migrate and bakes the first cookie. */
    BEGIN,
    /** Destination: eats the Begin cookie, starts the incoming VM paused. */
    PREPARE,
    /** Source: eats the Prepare cookie, streams memory, pauses the VM at switch-over. */
    PERFORM,
    /** Destination: eats the Perform cookie, resumes the VM on success or kills it on failure. */
    FINISH,
    /**
     * Source: eats the Finish cookie, kills the source VM on success or resumes it on failure. Sections eat only where
     * the driver's Confirm reports the commit with the Finish cookie: a migration settled otherwise (the source's
     * watchdog, an operator, a restart's recovery) or rolled back eats nothing at Confirm, so a section must not leave
     * its clean-up to this eat alone.
     */
    CONFIRM;

    /** The lower-case name used on command lines and in messages. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a phase name in any case; the error names the accepted values. */
    public static Phase parse(String name) {
        for (Phase phase : values()) {
            if (phase.name().equalsIgnoreCase(name)) {
                return phase;
            }
        }
        throw new IllegalArgumentException("unknown phase '" + name + "' (expected begin, prepare, perform, finish or confirm)");
    }
}
