package io.ferry.cli;

import io.ferry.protocol.DomainMessages.Job;
import java.io.PrintStream;

/**
 * virsh's {@code --verbose} progress line, {@code Migration: [ 45 %]}, from the source's job info: of this command's
 * migration only. The source reports the domain's job, which may be another migration's: another operator's that holds
 * the domain while this command's Begin waits for its job (then the command says it waits, and for which migration),
 * or one begun after this command's ended (then it says nothing). A daemon that does not say whose the job is
 * (older) has its job shown, as before.
 */
final class Progress implements AutoCloseable {
    private final DaemonChannel source;
    private final String domain;
    private final String migration;
    private final PrintStream err;
    private final Thread poller;
    private volatile boolean running = true;
    /** Whether this command's migration was seen: from then on another's job is never this command's to show. */
    private boolean ownSeen;
    /** The migration this command's was last said to wait for. */
    private String waitedFor;
    /** Whether a progress line was printed without its line break: what else is printed starts a line of its own. */
    private boolean lineOpen;

    Progress(DaemonChannel source, String domain, String migration, PrintStream err) {
        this.source = source;
        this.domain = domain;
        this.migration = migration;
        this.err = err;
        this.poller = new Thread(this::poll, "ferry-progress");
        this.poller.setDaemon(true);
    }

    /** Polls {@code source} for the job of migration {@code migration} of {@code domain} until {@link #close()}. */
    static Progress start(DaemonChannel source, String domain, String migration) {
        Progress progress = new Progress(source, domain, migration, System.err);
        progress.poller.start();
        return progress;
    }

    private void poll() {
        while (running) {
            try {
                show(source.call(d -> d.job(domain, false)));
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            } catch (CliException | RuntimeException e) {
                // the job ended or the daemon is busy: the next poll or done() says the rest
            }
        }
    }

    /**
     * Shows the domain's job as the source reported it: its progress if it is this command's migration. Not after
     * {@link #done} or {@link #close}: a poll still in flight then (an interrupt does not stop a call under way) would
     * print over the command's last line.
     */
    synchronized void show(Job job) {
        if (running) {
            print(job);
        }
    }

    private void print(Job job) {
        if (job.stats() == null) {
            return;
        }
        String holder = job.migration();
        if (holder == null || holder.equals(migration)) {
            ownSeen = true;
            err.printf("\rMigration: [%3d %%]", Math.min(99, job.stats().percent()));
            err.flush();
            lineOpen = true;
        } else if (!ownSeen && !holder.equals(waitedFor)) {
            waitedFor = holder;
            err.println(TerminalText.line("Migration: waiting for the job of domain " + domain + " (held by migration " + holder
                    + (job.operation() == null ? "" : ", " + job.operation()) + ")"));
        }
    }

    /** A line of its own between progress lines ({@code --timeout}'s suspend); nothing once the command ended. */
    synchronized void note(String line) {
        if (running) {
            err.println("\r" + TerminalText.line(line));
            lineOpen = false;
        }
    }

    /** A printable line the command must print whatever the progress (a warning), on a line of its own. */
    synchronized void line(String line) {
        endLine();
        err.println(line);
    }

    private void endLine() {
        if (lineOpen) {
            err.println();
            lineOpen = false;
        }
    }

    synchronized void done() {
        stop();
        err.println("\rMigration: [100 %]");
    }

    private synchronized void stop() {
        running = false;
        poller.interrupt();
    }

    /** Ends the progress line of a command that failed, so that its error is a line of its own, not the line's tail. */
    @Override
    public synchronized void close() {
        if (running) {
            endLine();
        }
        stop();
    }
}
