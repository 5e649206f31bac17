package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainManager;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a peer daemon's definition may name, beyond what an operator's may: a peer takes part in migrations, it is
 * not an operator of this host, yet the definition's {@code <emulator>} is the program the destination starts, and
 * its disks and kernel the files this host's VM opens. So a peer's definition names no emulator (the driver's own)
 * or a QEMU binary ({@code qemu-system-*}, {@code qemu-kvm}, {@code kvm}; where it may be is the driver's word),
 * only host files its driver lets a peer name ({@link Hypervisor#validatePeerDefinition}), and at most
 * {@link #MAX_DISKS} disks; anything else is an operator's choice, made by migrating client-managed. Checked on the
 * definition of Prepare and on the persistent one of Finish alike.
 */
final class PeerDefinitions {
    private static final Pattern QEMU = Pattern.compile("qemu-system-[A-Za-z0-9_.-]+|qemu-kvm|kvm");
    private static final String OPERATOR = "; an operator may migrate it client-managed";
    /**
     * The disks a peer's guest may have: each is a lease its Finish takes here, a file the file lock manager creates in
     * the lease directory every host shares (kept for good: it holds the lease's generation) and holds open with the
     * others while it takes them, so thousands of made-up disks left thousands of files there and ran the daemon out
     * of file descriptors.
     */
    static final int MAX_DISKS = 256;

    private final HardenedXmlParser parser;
    private final DomainManager domains;

    PeerDefinitions(HardenedXmlParser parser, DomainManager domains) {
        this.parser = parser;
        this.domains = domains;
    }

    /**
     * Refuses {@code spec}, brought by {@code peer}, if it names an emulator that is not QEMU or host files its driver
     * does not let a peer name; a null {@code peer} (an operator drives the migration) may bring anything.
     */
    void check(DomainSpec spec, String peer) throws MigrationException {
        if (peer == null) {
            return;
        }
        if (spec.disks().size() > MAX_DISKS) {
            throw new MigrationException("certificate subject '" + peer + "' may not bring domain '" + spec.name() + "' with "
                    + spec.disks().size() + " disks: a peer's guest has at most " + MAX_DISKS + ", each a lease taken here"
                    + OPERATOR);
        }
        Xml domain;
        try {
            domain = Xml.of(parser.parse(spec.xml().getBytes(StandardCharsets.UTF_8), "domain definition").getDocumentElement());
        } catch (XmlException e) {
            throw new MigrationException("the definition of domain '" + spec.name() + "' is not well-formed XML: " + e.getMessage());
        }
        for (Xml devices : domain.children("devices")) {
            for (Xml emulator : devices.children("emulator")) {
                String path = emulator.text().strip();
                String name = path.substring(path.lastIndexOf('/') + 1);
                if (!QEMU.matcher(name).matches()) {
                    throw new MigrationException("certificate subject '" + peer + "' may not have this host start emulator "
                            + Xml.quote(path) + ": a peer's definition names a QEMU binary (qemu-system-*, qemu-kvm) or"
                            + " none" + OPERATOR);
                }
            }
        }
        try {
            domains.hypervisor(spec.type()).validatePeerDefinition(spec);
        } catch (HypervisorException | DomainException e) {
            throw new MigrationException("certificate subject '" + peer + "' may not bring the definition of domain '"
                    + spec.name() + "': " + e.getMessage() + OPERATOR, e);
        }
    }
}
