package io.ferry.cli;

import io.ferry.launcher.LocalDaemon;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The plain demo's guest: a VM of the embedded hypervisor, whose memory digest the destination verifies. */
final class SimDemoGuest implements DemoCommand.Guest {
    @Override
    public String name() {
        return "demo-vm";
    }

    @Override
    public String start(DaemonChannel source, LocalDaemon sourceDaemon, Path work) throws CliException {
        source.post("domains", Map.of(), resource("demo-domain.xml"));
        source.post("domains/demo-vm/start", Map.of(), new byte[0]);
        snapshots(source, name());
        return "demo-vm (64 MiB, a guest dirtying 2000 pages/s, two disks, two snapshots) runs on host-a";
    }

    /** Two snapshots, whose metadata the snapshots section carries. */
    static void snapshots(DaemonChannel source, String domain) throws CliException {
        for (String snapshot : List.of("installed", "configured")) {
            source.post("domains/" + domain + "/snapshots", Map.of("name", snapshot, "description", "demo snapshot"), new byte[0]);
        }
    }

    @Override
    public String afterPerform(LocalDaemon destinationDaemon) {
        return null;
    }

    @Override
    public boolean verify(DaemonChannel destination, io.ferry.protocol.Xml job, PrintStream out) throws CliException {
        var info = Xml.of(Xml.parse(destination.get("domains/demo-vm")));
        out.println("demo-vm on host-b: " + info.attr("state") + " (" + info.attr("reason") + ")");
        boolean verified = "yes".equals(job.attr("verified")) && "running".equals(info.attr("state"));
        out.println(verified ? "Migration verified: the destination's memory digest matched the source's."
                : "Migration NOT verified.");
        return verified;
    }

    @Override
    public void stop(DaemonChannel host) {
        try {
            host.post("domains/demo-vm/destroy", Map.of(), new byte[0]);
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
