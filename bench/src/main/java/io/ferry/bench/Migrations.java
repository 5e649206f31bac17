package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Xml;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Live migrations between two local daemons, measured: the wall time, the source's job figures once it ended, the
 * CPU each daemon spent meanwhile (from {@code /proc}), and the job statistics sampled while it ran.
 */
final class Migrations {
    /** What one migration measured. */
    record Measured(String domain, double wallMillis, long streamMillis, long processed, long downtimeMillis, long iterations,
            double sourceCpu, double destinationCpu, boolean verified, List<JobSampler.Sample> samples) {
    }

    private final LocalDaemon[] hosts;
    private final ControlClient[] clients;

    Migrations(LocalDaemon a, LocalDaemon b) throws io.ferry.protocol.ChannelException {
        hosts = new LocalDaemon[] {a, b};
        clients = new ControlClient[] {new ControlClient(a.uri()), new ControlClient(b.uri())};
    }

    /** The daemon process of a host, 0 or 1. */
    long pid(int host) {
        return hosts[host].pid();
    }

    ControlClient client(int host) {
        return clients[host];
    }

    /** Defines and starts a guest on host 0. */
    void start(String name, int mib, long dirtyPagesPerSecond, String fill) throws Exception {
        String xml = "<domain type='sim'><name>" + name + "</name><memory unit='MiB'>" + mib + "</memory><vcpu>1</vcpu>"
                + "<metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='"
                + dirtyPagesPerSecond + "' fill='" + fill + "'/></metadata></domain>";
        clients[0].post("domains", Map.of(), xml.getBytes(StandardCharsets.UTF_8));
        clients[0].post("domains/" + name + "/start", Map.of(), new byte[0]);
    }

    /** The host the domain runs on. */
    int where(String name) throws Exception {
        for (int host = 0; host < 2; host++) {
            if ("running".equals(Xml.of(ControlClient.parse(clients[host].get("domains/" + name))).attr("state"))) {
                return host;
            }
        }
        throw new IllegalStateException("domain " + name + " runs nowhere");
    }

    /**
     * Migrates the domain live (its job sampled every {@code samplePeriodMillis}, 0: not sampled) to the other host: client-managed, or peer-to-peer tunnelled through the daemons; with
     * {@code --persistent}, so the definition stays behind on both and the source still has its job once it ended.
     */
    Measured migrate(String name, boolean tunnelled, int samplePeriodMillis) throws Exception {
        int from = where(name);
        int to = 1 - from;
        ControlClient source = clients[from];
        ControlClient destination = clients[to];
        double cpuSource = ProcCpu.seconds(hosts[from].pid());
        double cpuDestination = ProcCpu.seconds(hosts[to].pid());
        Messages.Migrate request = new Messages.Migrate(name, hosts[to].uri(),
                new MigrationFlags(true, tunnelled, tunnelled, false, true, false, false), null, null, 0);
        long start = System.nanoTime();
        try (JobSampler sampler = samplePeriodMillis > 0 ? new JobSampler(source, name, samplePeriodMillis) : null) {
            if (tunnelled) {
                source.post("migrate", Map.of(), request.toXml().getBytes(StandardCharsets.UTF_8));
            } else {
                new MigrationDriver(MigrationDriver.Listener.NONE).run(new HttpPeer(source), new HttpPeer(destination), request);
            }
            double wall = (System.nanoTime() - start) / 1e6;
            double sourceCpu = ProcCpu.seconds(hosts[from].pid()) - cpuSource;
            double destinationCpu = ProcCpu.seconds(hosts[to].pid()) - cpuDestination;
            if (sampler != null) {
                sampler.close();
            }
            Xml sent = Xml.of(ControlClient.parse(source.get("domains/" + name + "/job?completed=yes")));
            Xml received = Xml.of(ControlClient.parse(destination.get("domains/" + name + "/job?completed=yes")));
            return new Measured(name, wall, Long.parseLong(sent.attr("elapsed")), Long.parseLong(sent.attr("processed")),
                    Long.parseLong(sent.attr("downtime")), Long.parseLong(sent.attr("iteration")), sourceCpu, destinationCpu,
                    "yes".equals(received.attr("verified")), sampler == null ? List.of() : sampler.samples());
        }
    }
}
