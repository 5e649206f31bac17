package io.ferry.cli;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.DomainMessages.Domain;
import io.ferry.protocol.DomainMessages.Job;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** The plain demo's guest: a VM of the embedded hypervisor, whose memory digest the destination verifies. */
final class SimDemoGuest implements DemoCommand.Guest {
    @Override
    public String name() {
        return "demo-vm";
    }

    @Override
    public String start(DaemonChannel source, LocalDaemon sourceDaemon, Path work) throws CliException {
        byte[] definition = resource("demo-domain.xml");
        source.call(d -> d.define(definition));
        source.call(d -> {
            d.start(name());
            return null;
        });
        snapshots(source, name());
        return "demo-vm (64 MiB, a guest dirtying 2000 pages/s, two disks, two snapshots) runs on host-a";
    }

    /** Two snapshots, whose metadata the snapshots section carries. */
    static void snapshots(DaemonChannel source, String domain) throws CliException {
        for (String snapshot : List.of("installed", "configured")) {
            source.call(d -> d.createSnapshot(domain, snapshot, "demo snapshot"));
        }
    }

    @Override
    public String afterPerform(LocalDaemon destinationDaemon) {
        return null;
    }

    @Override
    public boolean verify(DaemonChannel destination, Job job, PrintStream out) throws CliException {
        Domain info = destination.call(d -> d.domain(name()));
        out.println("demo-vm on host-b: " + info.state() + " (" + info.reason() + ")");
        boolean verified = job.stats() != null && job.stats().verified() && "running".equals(info.state());
        out.println(verified ? "Migration verified: the destination's memory digest matched the source's."
                : "Migration NOT verified.");
        return verified;
    }

    @Override
    public void stop(DaemonChannel host) {
        destroy(host, name());
    }

    /** Stops the guest if it runs on this host; a guest not running there is what stop wants. */
    static void destroy(DaemonChannel host, String domain) {
        try {
            host.call(d -> {
                d.destroy(domain);
                return null;
            });
        } catch (CliException e) {
            // not running there
        }
    }

    static byte[] resource(String name) throws CliException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new CliException("the demo's " + name + " is missing from the CLI");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CliException("the demo's " + name + " cannot be read: " + e.getMessage());
        }
    }
}
