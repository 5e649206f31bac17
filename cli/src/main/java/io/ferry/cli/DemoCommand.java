package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.LocalDaemon;
import io.ferry.launcher.ScratchDirectory;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ferry demo [--qemu]}: two daemons on this machine, one VM with a disk, a NIC, graphics and snapshots,
 * migrated live with every installed section; prints the phases, the cookies exchanged and the job statistics,
 * and exits 0 only if the guest's check passed: the embedded hypervisor's memory digest, or (with {@code --qemu})
 * a real QEMU guest's RAM compared byte for byte while both ends were paused, then running on at the destination.
 */
final class DemoCommand implements Command {
    /** One demo's guest: how it is started, looked at between Perform and Finish, and checked at the end. */
    interface Guest {
        String name();

        /** Defines and starts the guest on the source, with two snapshots; returns what to say about it. */
        String start(DaemonChannel source, LocalDaemon sourceDaemon, Path work) throws CliException;

        /** Between Perform and Finish, both ends paused; what to print, or null. */
        String afterPerform(LocalDaemon destinationDaemon);

        /** After the migration: prints the verdict; true if the check passed. */
        boolean verify(DaemonChannel destination, Job job, PrintStream out) throws CliException;

        /** Stops what may still run of the guest on this host (best effort). */
        void stop(DaemonChannel host);

        /**
         * Whether its disk is a file of this machine's local file system, which both daemons see but two hosts would
         * not: the demo then migrates with --unsafe, as a libvirt user on one machine would.
         */
        default boolean localDisk() {
            return false;
        }
    }

    @Override
    public String synopsis() {
        return "demo [--qemu]                  two daemons, one VM, one live migration with every section (--qemu: a real\n"
                + "                                 QEMU guest; needs QEMU >= 9.1 and the guest this build made with gcc -m32)";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        Args parsed = new Args(args, Set.of(), Set.of("--qemu"));
        parsed.positionals(0, "nothing");
        FerryHome home = FerryHome.fromSystemProperty();
        Guest guest = parsed.has("--qemu") ? QemuDemoGuest.check(home) : new SimDemoGuest();
        ScratchDirectory scratch;
        try {
            scratch = ScratchDirectory.create("ferry-demo-");
        } catch (IOException e) {
            throw new CliException("cannot make a work directory: " + e.getMessage());
        }
        Path work = scratch.path();
        try (scratch; LocalDaemon a = daemon(home, work, "host-a"); LocalDaemon b = daemon(home, work, "host-b")) {
            return demo(guest, a, b, work, out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    private static int demo(Guest guest, LocalDaemon a, LocalDaemon b, Path work, PrintStream out) throws CliException {
        out.println("== Two daemons: host-a at " + a.uri() + ", host-b at " + b.uri());
        DaemonChannel source = new DaemonChannel(Cli.call(() -> new ControlClient(a.uri())));
        DaemonChannel destination = new DaemonChannel(Cli.call(() -> new ControlClient(b.uri())));
        try {
            out.println();
            out.println("== Cookie sections installed on host-a");
            new SectionsCommand().run(new Session(a.uri()), List.of(), out);
            String started = guest.start(source, a, work);
            out.println();
            out.println("== " + started);

            Messages.Migrate request = new Messages.Migrate(guest.name(), b.uri(),
                    new MigrationFlags(true, false, false, false, true, false, false, guest.localDisk()), null, null, 0);
            Cli.call(() -> new MigrationDriver(transcript(guest, b, out))
                    .run(new HttpPeer(source.client()), new HttpPeer(destination.client()), request));

            out.println();
            out.println("== Completed job on host-a (source)");
            new JobCommands.Printer(out).print(source.call(d -> d.job(guest.name(), true)));
            out.println();
            out.println("== Completed job on host-b (destination)");
            Job job = destination.call(d -> d.job(guest.name(), true));
            new JobCommands.Printer(out).print(job);
            out.println();
            return guest.verify(destination, job, out) ? 0 : 1;
        } finally {
            guest.stop(destination);
            guest.stop(source);
        }
    }

    /** Prints each phase with the cookie it baked; between Perform and Finish, what the guest has to say. */
    private static MigrationDriver.Listener transcript(Guest guest, LocalDaemon destination, PrintStream out) {
        return new CookieTranscript(out) {
            @Override
            public void step(String phase, String host, String cookie) {
                super.step(phase, host, cookie);
                if (phase.equals("perform")) {
                    String seen = guest.afterPerform(destination);
                    if (seen != null) {
                        out.println();
                        out.println("== " + seen);
                    }
                }
            }
        };
    }

    private static LocalDaemon daemon(FerryHome home, Path work, String name) throws CliException, InterruptedException {
        try {
            // both hosts share one lease directory, as hosts share an NFS mount
            return LocalDaemon.start(home.root(), work, name, LocalDaemon.sharedLeases(work), Map.of());
        } catch (IOException e) {
            throw new CliException("cannot start ferryd for the demo: " + e.getMessage());
        }
    }
}
