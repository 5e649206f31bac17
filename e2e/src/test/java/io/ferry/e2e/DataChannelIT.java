package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * The data connection of a migration, as an attacker on the network meets it: with daemons on mutual TLS the
 * guest's memory is not readable on the wire (a capture of the loopback traffic holds none of its pages, where the
 * same capture of a plain migration does), and a stray connection to the destination's data port is dropped
 * without harming the migration.
 */
public class DataChannelIT {
    private static final int SAMPLES = 64;
    private static final int SAMPLE_BYTES = 48;

    @Test
    public void guestMemoryCrossesTheWireOnlyEncryptedWhenTheDaemonsUseTls() throws Exception {
        Path ca = Files.createTempDirectory(Installation.work(), "data-tls");
        run(List.of(Installation.HOME.resolve("bin/ferry-make-test-ca").toString(), ca.toString(), "data-a", "data-b", "client"));
        Map<String, String> client = Map.of("FERRY_TLS_KEYSTORE", ca.resolve("client.p12").toString(), "FERRY_TLS_TRUSTSTORE",
                ca.resolve("truststore.p12").toString(), "FERRY_TLS_PASSWORD_FILE", ca.resolve("password").toString());
        try (DaemonProcess a = DaemonProcess.start("data-a", tls(ca, "data-a"));
                DaemonProcess b = DaemonProcess.start("data-b", tls(ca, "data-b"))) {
            assertTrue(a.url(), a.url().startsWith("ferry+tls://"));
            SimDomain secret = SimDomain.idle("secret", 16);
            Installation.ferryOk(client, "-c", a.url(), "define", secret.file().toString());
            Installation.ferryOk(client, "-c", a.url(), "start", "secret");
            List<byte[]> pages = samples(a, secret);

            byte[] wire = captured(() -> Installation.ferryOk(client, "-c", a.url(), "migrate", "--live", "secret", b.url()));

            assertEquals("pages of the guest found on the wire", 0, found(wire, pages));
            assertTrue(b.log(), b.log().contains("arrived and runs here"));
        }
    }

    /** The capture above can see a guest's memory: in a plain migration it does. */
    @Test
    public void thePlainCaptureDoesSeeTheGuestsPages() throws Exception {
        try (DaemonProcess a = DaemonProcess.start("plain-a"); DaemonProcess b = DaemonProcess.start("plain-b")) {
            SimDomain visible = SimDomain.idle("visible", 16);
            a.boot(visible);
            List<byte[]> pages = samples(a, visible);

            byte[] wire = captured(() -> a.ferryOk("migrate", "--live", "visible", b.url()));

            assertTrue("pages of the guest found on the wire", found(wire, pages) > SAMPLES / 2);
        }
    }

    @Test
    public void aStrayConnectionToTheDataPortIsDroppedAndTheMigrationCompletes() throws Exception {
        try (DaemonProcess a = DaemonProcess.start("stray-a"); DaemonProcess b = DaemonProcess.start("stray-b")) {
            String digest = a.boot(SimDomain.idle("targeted", 16));
            Phases phases = Phases.throughPrepare(a, b, "targeted");
            String port = phases.prepared.dataUri().substring(phases.prepared.dataUri().lastIndexOf(':') + 1);
            try (Socket stray = new Socket("127.0.0.1", Integer.parseInt(port)); OutputStream out = stray.getOutputStream()) {
                out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Poll.until("the stray connection to be dropped", () -> b.log().contains("dropped a connection to its data port"));
            }

            phases.perform();
            phases.confirm(phases.finish(false));

            Placement.assertRunsOnlyOn(b, a, "targeted", digest);
        }
    }

    @Test
    public void aPerformTowardADataUriTheDestinationDidNotHandOutIsRefused() throws Exception {
        try (DaemonProcess a = DaemonProcess.start("bound-a"); DaemonProcess b = DaemonProcess.start("bound-b");
                java.net.ServerSocket thief = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String digest = a.boot(SimDomain.idle("bound", 16));
            Phases phases = Phases.throughPrepare(a, b, "bound");
            String elsewhere = "tcp:127.0.0.1:" + thief.getLocalPort();

            io.ferry.protocol.ChannelException e = org.junit.Assert.assertThrows(io.ferry.protocol.ChannelException.class,
                    () -> phases.source.perform(new io.ferry.protocol.Messages.Perform(phases.id, phases.key, elsewhere,
                            phases.prepared.cookie(), phases.destination.uri(), phases.prepared.sections())));

            assertTrue(e.getMessage(), e.getMessage().contains("the data URI " + elsewhere + " was not handed out by the destination"));
            b.awaitState("bound", null); // its driver (this test) is silent: the destination drops the incoming VM
            Placement.assertRunsOnlyOn(a, b, "bound", digest);
        }
    }

    private static String[] tls(Path ca, String name) {
        return new String[] {"--tls-keystore", ca.resolve(name + ".p12").toString(), "--tls-truststore",
                ca.resolve("truststore.p12").toString(), "--tls-password-file", ca.resolve("password").toString()};
    }

    /** Stretches of the guest's memory, read from its memory file on the source before it moves. */
    private static List<byte[]> samples(DaemonProcess host, SimDomain domain) throws Exception {
        byte[] memory = Files.readAllBytes(host.stateDir.resolve("run").resolve(domain.uuid().toString()).resolve("memory"));
        List<byte[]> samples = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            int offset = (int) ((long) memory.length * i / SAMPLES) + 1000;
            samples.add(java.util.Arrays.copyOfRange(memory, offset, offset + SAMPLE_BYTES));
        }
        return samples;
    }

    /** How many of the samples appear somewhere in what was captured. */
    private static int found(byte[] wire, List<byte[]> samples) {
        int found = 0;
        for (byte[] sample : samples) {
            search:
            for (int at = 0; at <= wire.length - sample.length; at++) {
                for (int i = 0; i < sample.length; i++) {
                    if (wire[at + i] != sample[i]) {
                        continue search;
                    }
                }
                found++;
                break;
            }
        }
        return found;
    }

    private interface Action {
        void run() throws Exception;
    }

    /**
     * Every byte that crossed loopback over TCP while {@code action} ran, as tcpdump captured it: all of it, or the
     * test fails (a capture that lost packets on a busy machine saw fewer pages in the plain migration, and would
     * prove little in the encrypted one). The kernel's buffer holds a whole 16 MiB migration, and tcpdump is stopped
     * only once it has written its backlog.
     */
    private static byte[] captured(Action action) throws Exception {
        Path file = Files.createTempFile(Installation.work(), "capture", ".pcap");
        Path log = Files.createTempFile(Installation.work(), "tcpdump", ".log");
        Process tcpdump = new ProcessBuilder("tcpdump", "-i", "lo", "-U", "-B", "65536", "-s", "0", "-w", file.toString(), "tcp")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Poll.until("tcpdump to listen", () -> {
                if (!tcpdump.isAlive()) {
                    throw new AssertionError("tcpdump did not start (.ci/run installs it):\n" + Files.readString(log));
                }
                return Files.readString(log).contains("listening on lo");
            });
            action.run();
            long[] size = {-1};
            Poll.until("tcpdump to write the last of its backlog", () -> { // stopped early, it drops what it holds
                long now = Files.size(file);
                boolean still = now == size[0];
                size[0] = now;
                Thread.sleep(500);
                return still && Files.size(file) == now;
            });
        } finally {
            tcpdump.destroy(); // SIGTERM: it writes its counts
            tcpdump.waitFor(30, TimeUnit.SECONDS);
        }
        String counts = Files.readString(log);
        assertTrue("the capture lost packets:\n" + counts, counts.contains("\n0 packets dropped by kernel"));
        return Files.readAllBytes(file);
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
    }
}
