package io.ferry.cli;

import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import java.io.PrintStream;
import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C while {@code ferry migrate} runs, as in virsh: the first asks the source daemon to abort this command's
 * migration ({@code domjobabort} of its id, which the command chose), and the command then ends with the migration's
 * own answer (an error when it was aborted; success when it was too late to abort); a second ends the command at once
 * and leaves the migration to the daemons. A plain JVM would exit at the first, leaving a peer-to-peer migration to go
 * on without the operator who stopped it. {@code sun.misc.Signal} because a shutdown hook cannot let the command end
 * on its own.
 *
 * <p>By its id, never by the domain: while this command waits for the domain's job because another migration holds
 * it, that one is another operator's, and so is one begun after this command's ended. A migration that has not begun
 * is withdrawn instead (its Begin will be refused) and the command ends at once, the other migration untouched.
 */
final class AbortOnInterrupt implements AutoCloseable {
    private static final Signal INT = new Signal("INT");
    private static final long RETRY_MILLIS = 100;
    /** How long the command, ending, waits for the abort's answer to print it before its own. */
    private static final long ANSWER_WAIT_MILLIS = 10_000;

    private final DaemonChannel source;
    private final String domain;
    private final String migration;
    private final PrintStream err;
    private final IntConsumer exit;
    private final SignalHandler previous;
    private volatile Thread abort;
    private volatile boolean closed;

    private AbortOnInterrupt(DaemonChannel source, String domain, String migration, PrintStream err, IntConsumer exit) {
        this.source = source;
        this.domain = domain;
        this.migration = migration;
        this.err = err;
        this.exit = exit;
        this.previous = handle(this::interrupted);
    }

    /** Installs {@code handler}; returns the one before, or null where the JVM keeps SIGINT to itself ({@code -Xrs}). */
    private static SignalHandler handle(SignalHandler handler) {
        try {
            return Signal.handle(INT, handler);
        } catch (IllegalArgumentException e) {
            return null; // Ctrl-C then ends the command as it always did
        }
    }

    /** Until {@link #close()}, Ctrl-C aborts migration {@code migration} of {@code domain} that {@code source} runs. */
    static AbortOnInterrupt install(DaemonChannel source, String domain, String migration, PrintStream err) {
        return new AbortOnInterrupt(source, domain, migration, err, System::exit);
    }

    /** As {@link #install}, ending the command with {@code exit} when its migration had not begun (tests). */
    static AbortOnInterrupt install(DaemonChannel source, String domain, String migration, PrintStream err, IntConsumer exit) {
        return new AbortOnInterrupt(source, domain, migration, err, exit);
    }

    private void interrupted(Signal signal) {
        handle(previous);
        Thread thread = new Thread(this::abort, "ferry-abort");
        thread.setDaemon(true);
        abort = thread;
        thread.start();
    }

    private void abort() {
        err.println();
        err.println("interrupted: aborting the migration of " + domain + " (Ctrl-C again leaves it to the daemons)");
        while (true) {
            try {
                Done answer = source.call(d -> d.abortMigration(domain, migration));
                if (answer.message() != null) { // Ferry's daemons say what they did; a reply without it is still an answer
                    answer.message().lines().map(TerminalText::line).forEach(err::println);
                }
                if (DaemonClient.WITHDRAWN.equals(answer.action())) {
                    // nothing of this command's runs, and its Begin, waiting for the domain's job, will be refused
                    err.println("error: interrupted: the migration of " + domain + " had not begun");
                    err.flush();
                    exit.accept(1);
                }
                return;
            } catch (CliException e) {
                if (!e.getMessage().contains(DaemonClient.NO_ACTIVE_JOB)) {
                    err.println("error: " + TerminalText.line(e.getMessage()));
                    return;
                }
                // a daemon without abort by id (older): Begin may still be on its way; once the command has ended, its own answer says what became of it
                if (closed || !pause()) {
                    return;
                }
            }
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(RETRY_MILLIS);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (previous != null) {
            handle(previous);
        }
        closed = true;
        Thread thread = abort;
        if (thread != null) {
            try {
                thread.join(ANSWER_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
