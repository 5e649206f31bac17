package io.ferry.core.section;

import org.slf4j.MDC;

/** Tags every log line of the current thread with a migration id until closed. */
public final class MigrationLog {
    /** The logging-context key; the log pattern prints it as {@code mig=…}. */
    public static final String KEY = "migration";

    private MigrationLog() {
    }

    /** A tag in force; closing it gives the thread back the tag it had before (none, or an outer migration's). */
    public interface Tag extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Tags the thread's lines with {@code migrationId}. Tags nest: a call that tags its own lines inside another's (a
     * daemon calling itself, a phase's own bookkeeping) leaves the outer tag in force when it ends, not the lines after
     * it untagged.
     */
    public static Tag tag(String migrationId) {
        String outer = MDC.get(KEY);
        MDC.put(KEY, migrationId);
        return () -> {
            if (outer == null) {
                MDC.remove(KEY);
            } else {
                MDC.put(KEY, outer);
            }
        };
    }
}
