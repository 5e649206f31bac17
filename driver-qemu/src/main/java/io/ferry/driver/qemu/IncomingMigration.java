package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The destination's side: QEMU was started with {@code -incoming defer}; {@code migrate-incoming} has it read its
 * standard input, a pipe the driver feeds from the core's stream ({@link IncomingFeed}), or listen on a TCP port of
 * the configured range that the source's QEMU connects to. QEMU reports no byte counts while it receives, so the
 * figures are the stream's.
 */
final class IncomingMigration {
    private static final int BUFFER_BYTES = 256 * 1024;
    private static final long PROGRESS_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final QemuVirtualMachine vm;
    private final QemuSettings settings;
    private long start;

    IncomingMigration(QemuVirtualMachine vm, QemuSettings settings) {
        this.vm = vm;
        this.settings = settings;
    }

    /**
     * Listens on {@code host} at the first free port of the range; returns the source's URI. QEMU itself binds the
     * first port of the range it can ({@code tcp:HOST:FIRST,to=LAST}) and says which in {@code query-migrate}: a port
     * found free beforehand could be taken by another program or another daemon sharing the range before QEMU's
     * listen, and a failed {@code migrate-incoming} cannot be retried (QEMU's incoming state stays behind).
     */
    String listen(String host) throws HypervisorException {
        vm.execute("migrate-set-capabilities", capabilities());
        String address = host.contains(":") ? "[" + host + "]" : host;
        try {
            vm.execute("migrate-incoming", incoming("tcp:" + address + ":" + settings.firstPort() + ",to="
                    + settings.lastPort()));
        } catch (Qmp.CommandError e) {
            throw new HypervisorException("domain '" + vm.spec().name() + "' cannot listen for its memory on " + host
                    + ": " + (e.getMessage().contains("Address already in use") ? "no port of " + settings.firstPort()
                    + "-" + settings.lastPort() + " is free" : e.getMessage()), e);
        }
        start = System.nanoTime();
        return "tcp:" + address + ":" + boundPort(host);
    }

    /** The port QEMU listens on, from {@code query-migrate}'s {@code socket-address}, checked against the range. */
    private int boundPort(String host) throws HypervisorException {
        for (JsonNode socket : vm.execute("query-migrate", null).path("socket-address")) {
            int port = socket.path("port").asInt(-1); // QEMU gives it as a string
            if (socket.path("type").asText().equals("inet") && port >= settings.firstPort()
                    && port <= settings.lastPort()) {
                return port;
            }
        }
        throw new HypervisorException("domain '" + vm.spec().name() + "' listens for its memory on " + host
                + ", but QEMU did not say at which port of " + settings.firstPort() + "-" + settings.lastPort());
    }

    /**
     * The migration's events, and the disks activated at Finish's {@code cont} rather than when the memory has loaded
     * ({@code late-block-activate}, as libvirt always asks of a destination): before QEMU 10, a destination that had
     * loaded the memory took the disks' write locks though Finish never came, and the source's rollback could not run
     * its guest again ({@code Failed to get "write" lock}).
     */
    private static ObjectNode capabilities() {
        ObjectNode arguments = OutgoingMigration.eventsCapability();
        ((ArrayNode) arguments.get("capabilities")).addObject()
                .put("capability", "late-block-activate").put("state", true);
        return arguments;
    }

    /** QEMU stays after a failed load (exit-on-error off), so that its reason can be asked and reported. */
    private static ObjectNode incoming(String uri) {
        return Qmp.JSON.createObjectNode().put("uri", uri).put("exit-on-error", false);
    }

    /**
     * Feeds {@code in} to QEMU through the pipe that is its standard input ({@code fd:0}), then waits for QEMU to have
     * loaded it. No name in the file system leads to that pipe: another QEMU of the driver's user, one a guest took
     * over, can neither take the stream in QEMU's place nor add to it.
     */
    MigrationStats receive(InputStream in, MigrationControl control) throws IOException, HypervisorException {
        OutputStream pipe = vm.process().incomingPipe().orElseThrow(() -> failed("its QEMU was not started by this"
                + " daemon, and the pipe to it closed with the daemon that started it"));
        vm.execute("migrate-set-capabilities", capabilities());
        vm.execute("migrate-incoming", incoming("fd:0"));
        start = System.nanoTime();
        long received = 0;
        try (IncomingFeed qemu = new IncomingFeed(pipe, vm.spec().name())) {
            byte[] buffer = new byte[BUFFER_BYTES];
            long nextProgress = System.nanoTime() + PROGRESS_NANOS;
            for (int n; (n = in.read(buffer)) >= 0;) {
                await(qemu, qemu.write(buffer, n), control, received);
                received += n;
                if (control.aborted()) {
                    throw new HypervisorException("migration aborted by user");
                }
                if (System.nanoTime() >= nextProgress) {
                    control.progress(stats(received, 0));
                    nextProgress = System.nanoTime() + PROGRESS_NANOS;
                }
            }
            await(qemu, qemu.end(), control, received);
        }
        if (received == 0 && !control.aborted()) {
            // QEMU begins its load at the first byte: a pipe closed before any only hangs up, which QEMU waits past
            throw failed("the stream ended before any of it came");
        }
        return await(control, received);
    }

    /** Waits for {@code step} of the feed, seeing an abort, and a QEMU that takes nothing for the progress timeout. */
    private void await(IncomingFeed qemu, Future<?> step, MigrationControl control, long received)
            throws HypervisorException {
        while (true) {
            try {
                step.get(OutgoingMigration.POLL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                throw failed("QEMU stopped taking the stream after " + received + " bytes: " + reason());
            } catch (TimeoutException e) {
                // QEMU has not taken it all yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failed("interrupted after " + received + " bytes");
            }
            if (control.aborted()) {
                throw new HypervisorException("migration aborted by user");
            }
            if (OutgoingMigration.millis(System.nanoTime() - qemu.tookAt()) >= settings.progressTimeoutMillis()) {
                throw failed("QEMU took nothing of the stream for " + settings.progressTimeoutMillis() / 1000.0
                        + " s after " + received + " bytes");
            }
        }
    }

    /**
     * Waits until QEMU has loaded the whole migration stream (status {@code completed}: the VM is paused and
     * ready), or it failed.
     */
    MigrationStats await(MigrationControl control, long received) throws HypervisorException {
        while (true) {
            if (control.aborted()) {
                throw new HypervisorException("migration aborted by user");
            }
            MigrationInfo info = MigrationInfo.of(vm.execute("query-migrate", null));
            switch (info.status()) {
                case "completed" -> {
                    MigrationStats stats = stats(received, 0);
                    control.progress(stats);
                    return stats;
                }
                case "failed", "cancelled" -> throw failed("QEMU could not load the migration stream: " + info.error());
                default -> vm.qmp().awaitEvent(e -> e.path("event").asText().equals("MIGRATION"),
                        OutgoingMigration.POLL_MILLIS);
            }
        }
    }

    /** Why QEMU's incoming migration failed, as it says ({@code error-desc}), or the last line of its log. */
    private String reason() {
        try {
            MigrationInfo info = MigrationInfo.of(vm.execute("query-migrate", null));
            return info.status().equals("failed") ? info.error() : "it is " + info.status();
        } catch (HypervisorException e) {
            return e.getMessage();
        }
    }

    private HypervisorException failed(String why) {
        return new HypervisorException("incoming migration of domain '" + vm.spec().name() + "' failed: " + why);
    }

    private MigrationStats stats(long received, long remaining) {
        return new MigrationStats(OutgoingMigration.millis(System.nanoTime() - start), vm.memoryBytes(), received,
                remaining, 0, 0, 0, 0, 0, 4096, false);
    }
}
