package io.ferry.core.migration;

/**
 * The daemon dies here: thrown where a test kills a daemon, it unwinds the call without any of the engine's
 * clean-up (which catches exceptions, not errors), as SIGKILL would. The test then restarts the host.
 */
final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash() {
        super("the daemon was killed");
    }
}
