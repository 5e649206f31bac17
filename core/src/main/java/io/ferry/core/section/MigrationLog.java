package io.ferry.core.section;

import org.slf4j.MDC;

/** Tags every log line of the current thread with a migration id until closed. */
public final class MigrationLog {
    /** The logging-context key; the log pattern prints it as {@code mig=…}. */
    public static final String KEY = "migration";

    private MigrationLog() {
    }

    public static MDC.MDCCloseable tag(String migrationId) {
        return MDC.putCloseable(KEY, migrationId);
    }
}
