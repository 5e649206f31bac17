package io.ferry.driver.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who sends signals to one process: the kernel's {@code signal:signal_generate} tracepoint, recorded machine-wide by
 * {@code perf} for that target pid. What tells a kill by the code under test (this JVM) from one by another program on
 * the machine (a test run beside this one killing a stale pid). Needs root and perf; {@link #start} is empty without.
 */
final class SignalWatch implements AutoCloseable {
    /** One signal sent: by whom ({@code comm}, process id) and which. */
    record Sent(String sender, long senderPid, int signal) {
    }

    private static final Pattern LINE = Pattern.compile("^\\s*(.+?)\\s+(\\d+)/\\d+\\s.*signal_generate:.*\\bsig=(\\d+)\\b");

    private final Process perf;
    private final Path data;

    private SignalWatch(Process perf, Path data) {
        this.perf = perf;
        this.data = data;
    }

    /** Starts recording the signals sent to {@code pid}; returns once recording runs. Empty if perf cannot. */
    static Optional<SignalWatch> start(long pid, Path dir) throws IOException, InterruptedException {
        Path ctl = dir.resolve("perf-ctl");
        Path ack = dir.resolve("perf-ack");
        Path data = dir.resolve("perf.data");
        for (Path fifo : List.of(ctl, ack)) {
            if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() != 0) {
                return Optional.empty();
            }
        }
        Process perf;
        try {
            perf = new ProcessBuilder("perf", "record", "-q", "-a", "-e", "signal:signal_generate", "--filter",
                    "pid == " + pid, "-D", "-1", "--control", "fifo:" + ctl + "," + ack, "-o", data.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("perf.log").toFile()).start();
        } catch (IOException e) {
            return Optional.empty(); // no perf here
        }
        // perf opens its fifos once set up: the writes below wait for it, or fail if it exited first
        Thread guard = new Thread(() -> {
            try {
                perf.waitFor(60, TimeUnit.SECONDS); // exited without opening its fifos, or never got to it
                unblock(ctl, ack);
            } catch (InterruptedException e) {
                // done: perf acknowledged
            }
        });
        guard.setDaemon(true);
        guard.start();
        boolean enabled;
        try (OutputStream out = Files.newOutputStream(ctl); InputStream in = Files.newInputStream(ack)) {
            out.write("enable\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            enabled = new String(in.readNBytes(4), StandardCharsets.US_ASCII).equals("ack\n") && perf.isAlive();
        } finally {
            guard.interrupt();
        }
        if (!enabled) {
            perf.destroyForcibly().waitFor();
            return Optional.empty();
        }
        return Optional.of(new SignalWatch(perf, data));
    }

    /** Opens the other ends of the fifos, so that a start whose perf never opened them does not hang. */
    private static void unblock(Path ctl, Path ack) {
        try (InputStream in = Files.newInputStream(ctl); OutputStream out = Files.newOutputStream(ack)) {
            in.readNBytes(0);
        } catch (IOException e) {
            // nothing to unblock
        }
    }

    /** Stops recording; the signals sent to the process meanwhile. */
    List<Sent> stop() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", Long.toString(perf.pid())).start().waitFor();
        if (!perf.waitFor(30, TimeUnit.SECONDS)) {
            perf.destroyForcibly().waitFor();
            throw new IOException("perf did not stop");
        }
        Process script = new ProcessBuilder("perf", "script", "-i", data.toString(), "-F", "comm,pid,tid,event,trace")
                .redirectErrorStream(true).start();
        String text = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        script.waitFor();
        List<Sent> sent = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.find()) {
                sent.add(new Sent(m.group(1), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3))));
            }
        }
        return sent;
    }

    @Override
    public void close() throws InterruptedException {
        if (perf.isAlive()) {
            perf.destroyForcibly().waitFor();
        }
    }
}
