package io.ferry.cli;

import java.io.PrintStream;

/** virsh's {@code --verbose} progress line, {@code Migration: [ 45 %]}, from the source's job info. */
final class Progress implements AutoCloseable {
    private final DaemonChannel source;
    private final String domain;
    private final PrintStream err = System.err;
    private final Thread poller;
    private volatile boolean running = true;

    private Progress(DaemonChannel source, String domain) {
        this.source = source;
        this.domain = domain;
        this.poller = new Thread(this::poll, "ferry-progress");
        this.poller.setDaemon(true);
    }

    static Progress start(DaemonChannel source, String domain) {
        Progress progress = new Progress(source, domain);
        progress.poller.start();
        return progress;
    }

    private void poll() {
        while (running) {
            try {
                var job = source.call(d -> d.job(domain, false));
                if (job.stats() != null) {
                    err.printf("\rMigration: [%3d %%]", Math.min(99, job.stats().percent()));
                    err.flush();
                }
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            } catch (CliException | RuntimeException e) {
                // the job ended or the daemon is busy: the next poll or done() says the rest
            }
        }
    }

    void done() {
        stop();
        err.println("\rMigration: [100 %]");
    }

    private void stop() {
        running = false;
        poller.interrupt();
    }

    @Override
    public void close() {
        stop();
    }
}
