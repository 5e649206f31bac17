package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A QEMU VM's graphics servers: where they listen, and the relocation of its SPICE clients to a destination. */
final class QemuGraphics {
    private static final Logger LOG = LoggerFactory.getLogger(QemuGraphics.class);

    /**
     * How long asking where the servers listen waits, for all of them: {@code dominfo} waits for it, as for the guest's
     * state ({@code ferry list}'s second a domain), and waited the command timeout for each server of a hung QEMU.
     */
    static final long ASK_MILLIS = 1_000;

    private final QemuVirtualMachine vm;
    private final QemuDomain domain;
    private volatile boolean spiceRelocated;
    /** Where the servers listen, once each answered: QEMU takes their ports at its start and keeps them. */
    private volatile List<DomainSpec.Graphics> listening;

    QemuGraphics(QemuVirtualMachine vm, QemuDomain domain) {
        this.vm = vm;
        this.domain = domain;
    }

    List<DomainSpec.Graphics> listeners() {
        List<DomainSpec.Graphics> known = listening;
        if (known != null) {
            return known;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ASK_MILLIS);
        List<DomainSpec.Graphics> listeners = new ArrayList<>();
        for (QemuDomain.Graphics g : domain.graphics()) {
            try {
                long left = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                JsonNode info = vm.execute("query-" + g.type(), null, left);
                int port = g.type().equals("vnc") ? Integer.parseInt(info.path("service").asText("-1"))
                        : info.path("port").asInt(-1);
                listeners.add(new DomainSpec.Graphics(g.type(), port, g.listen()));
            } catch (HypervisorException | NumberFormatException e) {
                LOG.warn("cannot query the {} server of domain '{}': {}", g.type(), domain.spec().name(), e.getMessage());
            }
        }
        if (listeners.size() == domain.graphics().size()) {
            listening = List.copyOf(listeners);
        }
        return listeners;
    }

    /** SPICE: {@code client_migrate_info}. VNC: QEMU relocates no VNC clients; said in the log. */
    void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject) throws HypervisorException {
        String name = domain.spec().name();
        if (domain.graphics().stream().noneMatch(g -> g.type().equals(destination.type()))) {
            throw new HypervisorException("domain '" + name + "' has no " + destination.type() + " graphics");
        }
        if (!destination.type().equals("spice")) {
            LOG.info("domain '{}': QEMU relocates no {} clients (client_migrate_info accepts only spice); they must"
                    + " reconnect to {}:{} themselves", name, destination.type(), destination.listen(), destination.port());
            return;
        }
        ObjectNode arguments = Qmp.JSON.createObjectNode().put("protocol", "spice")
                .put("hostname", destination.listen()).put("port", destination.port());
        if (tlsPort > 0) {
            arguments.put("tls-port", tlsPort);
        }
        if (tlsSubject != null && !tlsSubject.isBlank()) {
            arguments.put("cert-subject", tlsSubject);
        }
        vm.execute("client_migrate_info", arguments);
        spiceRelocated = true;
    }

    /** After {@code client_migrate_info}: waits for SPICE_MIGRATE_COMPLETED, at most {@code timeoutMillis}. */
    boolean awaitClientsMigrated(long timeoutMillis) {
        if (!spiceRelocated) {
            return true;
        }
        try {
            return vm.qmp().awaitEvent(e -> e.path("event").asText().equals("SPICE_MIGRATE_COMPLETED"), timeoutMillis) != null;
        } catch (HypervisorException e) {
            return false;
        }
    }
}
