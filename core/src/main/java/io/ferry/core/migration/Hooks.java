package io.ferry.core.migration;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Migration events and hook scripts, as libvirt's {@code /etc/libvirt/hooks/qemu}: the executable
 * {@code etc/hooks/ferry} is run as {@code ferry NAME migrate begin|end -} with the domain definition on
 * stdin. A non-zero exit of the {@code begin} hook refuses the migration, its stderr is the reason.
 */
public final class Hooks {
    private static final Logger LOG = LoggerFactory.getLogger(Hooks.class);
    private static final long TIMEOUT_SECONDS = 60;

    private static final int EVENTS_KEPT = 256;

    private final Path script;
    private final Deque<Event> events = new ArrayDeque<>();
    private long sequence;

    public Hooks(Path hooksDir) {
        this.script = hooksDir == null ? null : hooksDir.resolve("ferry");
    }

    /** A migration event, as {@code ferry events} lists them. */
    public record Event(long sequence, long time, String domain, String operation, String side) {
    }

    /** The most recent events, oldest first. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** The {@code begin} hook of a migration: it may refuse. */
    public void begin(String domain, String side, String domainXml) throws HookRefusal {
        migrate(domain, "begin", side, domainXml);
    }

    /** The {@code end} hook: its failure is logged, never thrown, so it cannot fail a committed migration. */
    public void end(String domain, String side, String domainXml) {
        try {
            migrate(domain, "end", side, domainXml);
        } catch (HookRefusal e) {
            LOG.warn("the end hook of {} failed: {}", domain, e.getMessage());
        }
    }

    /** Records the event, logs it and runs the hook; {@code begin} may refuse. */
    public void migrate(String domain, String operation, String side, String domainXml) throws HookRefusal {
        LOG.info("event: domain {} migration {} ({})", domain, operation, side);
        synchronized (this) {
            events.addLast(new Event(++sequence, System.currentTimeMillis(), domain, operation, side));
            if (events.size() > EVENTS_KEPT) {
                events.removeFirst();
            }
        }
        if (script == null || !Files.isExecutable(script)) {
            return;
        }
        try {
            Process process = new ProcessBuilder(List.of(script.toString(), domain, "migrate", operation, "-"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(domainXml.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the hook did not read its stdin: that is its choice
            }
            String err;
            try (InputStream stderr = process.getErrorStream()) {
                err = new String(stderr.readNBytes(4096), StandardCharsets.UTF_8).trim();
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new HookRefusal("hook script " + script + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0 && operation.equals("begin")) {
                throw new HookRefusal("hook script " + script + " refused the migration of " + domain
                        + (err.isEmpty() ? "" : ": " + err.replaceAll("\\s+", " ")));
            }
        } catch (IOException e) {
            throw new HookRefusal("cannot run hook script " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HookRefusal("interrupted while running hook script " + script);
        }
    }

    /** A hook that said no. */
    public static final class HookRefusal extends Exception {
        private static final long serialVersionUID = 1L;

        HookRefusal(String message) {
            super(message);
        }
    }
}
