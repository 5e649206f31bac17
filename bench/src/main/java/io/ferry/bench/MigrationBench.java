package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Xml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Measures, in one run: raw loopback socket throughput; the live migration of an idle 1 GiB embedded VM
 * between two real ferryd processes (throughput = guest memory / wall time of the whole migration); and the
 * control-plane time, all five phases of an idle 64 MiB VM. Prints the ratio; asserts nothing.
 */
public final class MigrationBench {
    private static final long GIB = 1024L * 1024 * 1024;

    private MigrationBench() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        Path work = Files.createTempDirectory("ferry-bench-");
        double raw = GIB / (Bench.rawCopyNanos(new byte[256 * 1024], GIB / (256 * 1024)) / 1e9);
        System.out.printf("raw loopback socket:        %8.1f MiB/s (1 GiB, one connection)%n", raw / (1 << 20));
        try (LocalDaemon a = LocalDaemon.start(home, work, "bench-a", List.of(), Map.of());
                LocalDaemon b = LocalDaemon.start(home, work, "bench-b", List.of(), Map.of())) {
            ControlClient source = new ControlClient(a.uri());
            ControlClient destination = new ControlClient(b.uri());
            Bench.startIdle(source, "big-vm", "00000000-0000-4000-8000-00000000b160", 1024);
            Bench.startIdle(source, "small-vm", "00000000-0000-4000-8000-00000000b064", 64);

            long start = System.nanoTime();
            migrate(source, destination, "big-vm", b.uri());
            double seconds = (System.nanoTime() - start) / 1e9;
            double migration = GIB / seconds;
            System.out.printf("1 GiB live migration:       %8.1f MiB/s (%.2f s, whole migration, verified: %s)%n",
                    migration / (1 << 20), seconds, verified(destination, "big-vm"));
            System.out.printf("ratio migration / loopback: %8.2f%n", migration / raw);

            start = System.nanoTime();
            migrate(source, destination, "small-vm", b.uri());
            System.out.printf("control plane, 5 phases:    %8d ms (idle 64 MiB VM, memory transfer included)%n",
                    (System.nanoTime() - start) / 1_000_000);
        } finally {
            Bench.deleteTree(work);
        }
    }

    private static void migrate(ControlClient source, ControlClient destination, String name, String destUri) throws Exception {
        Messages.Migrate request = new Messages.Migrate(name, destUri,
                new MigrationFlags(true, false, false, false, false, false, false), null, null, 0);
        new MigrationDriver(MigrationDriver.Listener.NONE).run(new HttpPeer(source), new HttpPeer(destination), request);
    }

    private static String verified(ControlClient destination, String name) throws Exception {
        return Xml.of(ControlClient.parse(destination.get("domains/" + name + "/job?completed=yes"))).attr("verified");
    }
}
