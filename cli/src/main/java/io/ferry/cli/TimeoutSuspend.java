package io.ferry.cli;

import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import java.util.function.Consumer;

/**
 * {@code ferry migrate --timeout SECONDS} ({@code --timeout-suspend}, virsh's default and only action here): once the
 * command has run that long, the source daemon suspends the domain so that its live migration converges, as virsh's
 * timeout does; the destination then resumes it (it ran here before). With or without {@code --p2p}: the source daemon
 * suspends it through its operator's channel either way. Only while this command's migration (by its id) is under way
 * there: before its Begin a pause would make the guest arrive paused, and after its end it would pause a guest that
 * runs on; until then it asks again, and it stops when the command ends.
 */
final class TimeoutSuspend implements AutoCloseable {
    private static final long RETRY_MILLIS = 250;

    private final DaemonChannel source;
    private final String domain;
    private final String migration;
    private final long seconds;
    private final Consumer<String> say;
    private final Thread thread;
    private volatile boolean closed;

    private TimeoutSuspend(DaemonChannel source, String domain, String migration, long seconds, Consumer<String> say) {
        this.source = source;
        this.domain = domain;
        this.migration = migration;
        this.seconds = seconds;
        this.say = say;
        this.thread = new Thread(this::run, "ferry-migrate-timeout");
        this.thread.setDaemon(true);
    }

    /** @param say where {@code --verbose} lines go (nowhere without it) */
    static TimeoutSuspend start(DaemonChannel source, String domain, String migration, long seconds, Consumer<String> say) {
        TimeoutSuspend timer = new TimeoutSuspend(source, domain, migration, seconds, say);
        timer.thread.start();
        return timer;
    }

    private void run() {
        try {
            Thread.sleep(seconds * 1000);
            while (!closed) {
                Done done = source.call(d -> d.suspendForMigration(domain, migration));
                if (done.action().equals(DaemonClient.SUSPENDED)) {
                    say.accept("Migration: timed out after " + seconds + " s; domain " + domain + " suspended so that it converges");
                    return;
                }
                if (done.action().equals(DaemonClient.PAUSED_ALREADY)) {
                    return; // paused by its operator, or by the switch-over: nothing to make converge
                }
                Thread.sleep(RETRY_MILLIS); // not under way there yet (its Begin waits for the domain's job), or over
            }
        } catch (InterruptedException e) {
            // the command ended
        } catch (CliException e) {
            if (!closed) {
                say.accept("Migration: timed out after " + seconds + " s; suspending domain " + domain + " failed: "
                        + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
