package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DomainMessages;
import io.ferry.protocol.DomainMessages.Job;
import java.util.Comparator;
import java.util.stream.Stream;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code ferry demo}: two daemons on this machine, one VM with a disk, a NIC and graphics, migrated live with
 * every installed section; prints the phases, the cookies exchanged and the job statistics, and exits 0 only
 * if the destination verified the VM's memory.
 */
final class DemoCommand implements Command {
    @Override
    public String synopsis() {
        return "demo                           two daemons, one VM, one live migration with every section";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        FerryHome home = FerryHome.fromSystemProperty();
        Path work;
        try {
            work = Files.createTempDirectory("ferry-demo-");
        } catch (IOException e) {
            throw new CliException("cannot make a work directory: " + e.getMessage());
        }
        try (LocalDaemon a = daemon(home, work, "host-a"); LocalDaemon b = daemon(home, work, "host-b")) {
            out.println("== Two daemons: host-a at " + a.uri() + ", host-b at " + b.uri());
            DaemonChannel source = new DaemonChannel(Cli.call(() -> new ControlClient(a.uri())));
            DaemonChannel destination = new DaemonChannel(Cli.call(() -> new ControlClient(b.uri())));
            out.println();
            out.println("== Cookie sections installed on host-a");
            new SectionsCommand().run(new Session(a.uri()), List.of(), out);

            byte[] definition = sample("demo-domain.xml");
            source.call(d -> d.define(definition));
            source.call(d -> {
                d.start("demo-vm");
                return null;
            });
            for (String snapshot : List.of("installed", "configured")) {
                source.call(d -> d.createSnapshot("demo-vm", snapshot, "demo snapshot"));
            }
            out.println();
            out.println("== demo-vm (64 MiB, a guest dirtying 2000 pages/s, two disks, two snapshots) runs on host-a");

            Messages.Migrate request = new Messages.Migrate("demo-vm", b.uri(),
                    new MigrationFlags(true, false, false, false, true, false, false), null, null, 0);
            MigrationDriver driver = new MigrationDriver(new MigrationDriver.Listener() {
                @Override
                public void step(String phase, String host, String cookie) {
                    out.println();
                    out.println("== " + phase.substring(0, 1).toUpperCase() + phase.substring(1) + " on " + host
                            + (cookie == null ? " (no cookie out)" : ", cookie out:"));
                    if (cookie != null) {
                        out.print(cookie);
                    }
                }

                @Override
                public void warning(String message) {
                    out.println("warning: " + message);
                }
            });
            Cli.call(() -> driver.run(new HttpPeer(source.client()), new HttpPeer(destination.client()), request));

            out.println();
            out.println("== Completed job on host-a (source)");
            new JobCommands.Printer(out).print(source.call(d -> d.job("demo-vm", true)));
            out.println();
            out.println("== Completed job on host-b (destination)");
            Job job = destination.call(d -> d.job("demo-vm", true));
            new JobCommands.Printer(out).print(job);
            DomainMessages.Domain info = destination.call(d -> d.domain("demo-vm"));
            out.println();
            out.println("demo-vm on host-b: " + info.state() + " (" + info.reason() + ")");
            boolean verified = job.stats() != null && job.stats().verified() && "running".equals(info.state());
            destination.call(d -> {
                d.destroy("demo-vm");
                return null;
            });
            out.println(verified ? "Migration verified: the destination's memory digest matched the source's."
                    : "Migration NOT verified.");
            return verified ? 0 : 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        } finally {
            delete(work);
        }
    }

    private static LocalDaemon daemon(FerryHome home, Path work, String name) throws CliException, InterruptedException {
        try {
            // both hosts share one lease directory, as hosts share an NFS mount
            return LocalDaemon.start(home.root(), work, name, List.of("--lease-dir", work.resolve("leases").toString()), Map.of());
        } catch (IOException e) {
            throw new CliException("cannot start ferryd for the demo: " + e.getMessage());
        }
    }

    private static void delete(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }

    private static byte[] sample(String name) throws CliException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new CliException("the demo's " + name + " is missing from the CLI");
        }
    }
}
