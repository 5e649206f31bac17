package io.ferry.core.migration;

import io.ferry.api.host.ProcessRunner;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Migration events and hook scripts, as libvirt's {@code /etc/libvirt/hooks/qemu}: the executable
 * {@code etc/hooks/ferry} is run as {@code ferry NAME migrate begin|end -} with the domain definition on
 * stdin, within a time limit. Only {@link #begin} may refuse a migration (a non-zero exit, its stderr is the
 * reason, or the limit); {@link #end} comes after the migration is decided, so its failures are only logged.
 */
public final class Hooks {
    private static final Logger LOG = LoggerFactory.getLogger(Hooks.class);
    /** How long a hook may run, from its start to its exit and the end of its output. */
    public static final Duration DEFAULT_LIMIT = Duration.ofSeconds(60);

    static final int EVENTS_KEPT = 256;
    /** The most of a failure's reason a log line quotes. */
    static final int MAX_LOGGED_REASON_CHARS = 2000;

    private final Path script;
    private final ProcessRunner processes;
    private final Duration limit;
    private final Deque<Event> events = new ArrayDeque<>();
    private long sequence;

    public Hooks(Path hooksDir, ProcessRunner processes) {
        this(hooksDir, processes, DEFAULT_LIMIT);
    }

    /** @param hooksDir where the script {@code ferry} may be; null: no hooks */
    public Hooks(Path hooksDir, ProcessRunner processes, Duration limit) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("the hook time limit must be positive, not " + limit);
        }
        this.script = hooksDir == null ? null : hooksDir.resolve("ferry");
        this.processes = processes;
        this.limit = limit;
    }

    /**
     * A migration event, as {@code ferry events} lists them.
     *
     * @param operation {@code begin}, {@code end}, or {@code failed}
     * @param reason why a migration failed; null for the others
     */
    public record Event(long sequence, long time, String domain, String operation, String side, String reason) {
    }

    /** A migration of {@code domain} failed on this {@code side}: the event says why (no hook runs: libvirt has none). */
    public void failed(String domain, String side, String reason) {
        LOG.warn("event: domain {} migration failed ({}): {}", domain, side, loggable(reason));
        record(new Event(0, System.currentTimeMillis(), domain, "failed", side, reason));
    }

    /**
     * A failure's reason as a log line quotes it: one line of bounded length. Reasons quote the peers' words (a
     * cookie's text, the other daemon's error, its driver's reason to cancel), whose line breaks would forge log lines.
     */
    static String loggable(String reason) {
        return Xml.oneLine(String.valueOf(reason), MAX_LOGGED_REASON_CHARS);
    }

    /** The most recent events, oldest first. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** A migration of {@code domain} begins on this {@code side}: records the event and runs the hook, which may refuse. */
    public void begin(String domain, String side, String domainXml) throws HookRefusal {
        if (!recordEvent(domain, "begin", side)) {
            return;
        }
        ProcessRunner.Result result;
        try {
            result = run(domain, "begin", domainXml);
        } catch (IOException e) {
            throw new HookRefusal(e.getMessage());
        }
        if (result.exitStatus() != 0) {
            String err = result.stderr().strip().replaceAll("\\s+", " ");
            throw new HookRefusal("hook script " + script + " refused the migration of " + domain
                    + (err.isEmpty() ? "" : ": " + err));
        }
    }

    /** A migration of {@code domain} ended on this {@code side}: records the event and runs the hook; never fails. */
    public void end(String domain, String side, String domainXml) {
        if (!recordEvent(domain, "end", side)) {
            return;
        }
        try {
            ProcessRunner.Result result = run(domain, "end", domainXml);
            if (result.exitStatus() != 0) {
                LOG.warn("hook script {} failed (exit {}) at the end of the migration of {}, which stands: {}", script,
                        result.exitStatus(), domain, result.stderr().strip().replaceAll("\\s+", " "));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}, at the end of the migration of {}, which stands", e.getMessage(), domain);
        }
    }

    /** Records and logs the event; true if there is a hook to run. */
    private boolean recordEvent(String domain, String operation, String side) {
        LOG.info("event: domain {} migration {} ({})", domain, operation, side);
        record(new Event(0, System.currentTimeMillis(), domain, operation, side, null));
        return script != null && Files.isExecutable(script);
    }

    private synchronized void record(Event event) {
        events.addLast(new Event(++sequence, event.time(), event.domain(), event.operation(), event.side(), event.reason()));
        if (events.size() > EVENTS_KEPT) {
            events.removeFirst();
        }
    }

    private ProcessRunner.Result run(String domain, String operation, String domainXml) throws IOException {
        return processes.run("hook script " + script, List.of(script.toString(), domain, "migrate", operation, "-"),
                domainXml.getBytes(StandardCharsets.UTF_8), limit);
    }

    /** A hook that said no. */
    public static final class HookRefusal extends Exception {
        private static final long serialVersionUID = 1L;

        HookRefusal(String message) {
            super(message);
        }
    }
}
