package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The migration port range (`migrationPorts`) when other programs, or another daemon sharing the range, take its
 * ports. The fake QEMU binds what {@code migrate-incoming} names as QEMU does ({@code tcp:HOST:PORT[,to=LAST]}: the
 * first port of those it can).
 */
public class MigrationPortTest {
    private static final Pattern TCP = Pattern.compile("tcp:127\\.0\\.0\\.1:(\\d+)(?:,to=(\\d+))?");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private final List<ServerSocket> sockets = new ArrayList<>();
    private QemuProcess process;

    @After
    public void close() throws IOException {
        for (ServerSocket socket : sockets) {
            socket.close();
        }
        if (process != null) {
            process.kill();
        }
    }

    @Test
    public void aPortTakenBetweenTheFreePortCheckAndQemusListenDoesNotFailThePrepare() throws Exception {
        int first = freeRange(3);
        // another program (or a daemon sharing the range) takes the first free port just before QEMU binds
        String uri = listen(first, first + 2, () -> takeFirstFree(first, first + 2));
        int port = Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
        assertEquals("QEMU's port, the next one free", first + 1, port);
        try (Socket source = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertTrue(source.isConnected());
        }
    }

    @Test
    public void aRangeWithNoFreePortIsRefusedNamingTheRange() throws Exception {
        int first = freeRange(2);
        takeFirstFree(first, first + 1);
        takeFirstFree(first, first + 1);
        try {
            listen(first, first + 1, () -> { });
            fail("listened on a range whose every port is taken");
        } catch (HypervisorException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("domain 'ports' cannot listen for its memory on 127.0.0.1:"
                    + " no port of " + first + "-" + (first + 1) + " is free"));
        }
    }

    private String listen(int first, int last, Runnable beforeBind) throws Exception {
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        files.prepare(null);
        Path state = tmp.newFolder("state").toPath();
        QemuSettings base = Guests.settings(state);
        QemuSettings settings = new QemuSettings(base.emulator(), first, last, base.progressTimeoutMillis(),
                base.quitTimeoutMillis(), base.commandTimeoutMillis(), base.logDir(), base.ovsdb());
        process = QemuProcess.start(List.of("sleep", "600"), state.resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), fakeQemu(beforeBind));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, () -> true, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(Guests.spec("ports", 32, "0"), files, process, qmp, settings, () -> { });
            return vm.listenForMemory("127.0.0.1");
        }
    }

    /** Binds the first port of {@code migrate-incoming}'s URI it can, as QEMU's inet listener does. */
    private BiConsumer<String, OutputStream> fakeQemu(Runnable beforeBind) {
        int[] bound = {-1};
        return (command, out) -> {
            String id = FakeQmp.id(command);
            if (command.contains("migrate-incoming")) {
                Matcher uri = TCP.matcher(command);
                assertTrue(command, uri.find());
                beforeBind.run();
                int from = Integer.parseInt(uri.group(1));
                int to = uri.group(2) == null ? from : Integer.parseInt(uri.group(2));
                bound[0] = bindFirst(from, to);
                FakeQmp.write(out, bound[0] < 0
                        ? "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Failed to find an available port: Address"
                                + " already in use\"}, \"id\": \"" + id + "\"}\n"
                        : "{\"return\": {}, \"id\": \"" + id + "\"}\n");
            } else if (command.contains("query-migrate")) {
                FakeQmp.write(out, "{\"return\": {\"status\": \"setup\", \"socket-address\": [{\"port\": \"" + bound[0]
                        + "\", \"ipv4\": true, \"host\": \"127.0.0.1\", \"type\": \"inet\"}]}, \"id\": \"" + id + "\"}\n");
            } else {
                FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + id + "\"}\n");
            }
        };
    }

    private int bindFirst(int from, int to) {
        for (int port = from; port <= to; port++) {
            if (bind(port)) {
                return port;
            }
        }
        return -1;
    }

    private void takeFirstFree(int from, int to) {
        assertTrue("a free port to take", bindFirst(from, to) >= 0);
    }

    private boolean bind(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            try {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (IOException e) {
                socket.close();
                return false;
            }
            synchronized (sockets) {
                sockets.add(socket);
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first of {@code count} consecutive ports free now, above the usual migration range. */
    private static int freeRange(int count) throws IOException {
        for (int first = 50_000; first < 60_000; first += count) {
            boolean free = true;
            for (int port = first; port < first + count && free; port++) {
                try (ServerSocket probe = new ServerSocket()) {
                    probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return first;
            }
        }
        throw new IOException("no " + count + " consecutive free ports");
    }
}
