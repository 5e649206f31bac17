package io.ferry.core.migration;

import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a peer daemon's Prepare may bring in its definition, beyond what an operator's may: a peer takes part in
 * migrations, it is not an operator of this host, yet the definition's {@code <emulator>} is the program the
 * destination starts. So a peer's definition names no emulator (the driver's own) or a QEMU binary
 * ({@code qemu-system-*}, {@code qemu-kvm}, {@code kvm}, wherever it is); any other program is an operator's
 * choice, made by migrating client-managed.
 */
final class PeerDefinitions {
    private static final Pattern QEMU = Pattern.compile("qemu-system-[A-Za-z0-9_.-]+|qemu-kvm|kvm");

    private PeerDefinitions() {
    }

    /** Refuses {@code xml}, brought by {@code peer}, if it names an emulator that is not QEMU. */
    static void check(String xml, String peer, HardenedXmlParser parser) throws MigrationException {
        Xml domain;
        try {
            domain = Xml.of(parser.parse(xml.getBytes(StandardCharsets.UTF_8), "domain definition").getDocumentElement());
        } catch (XmlException e) {
            throw new MigrationException("Prepare carried a domain definition that is not well-formed XML: " + e.getMessage());
        }
        for (Xml devices : domain.children("devices")) {
            for (Xml emulator : devices.children("emulator")) {
                String path = emulator.text().strip();
                String name = path.substring(path.lastIndexOf('/') + 1);
                if (!QEMU.matcher(name).matches()) {
                    throw new MigrationException("certificate subject '" + peer + "' may not have this host start emulator "
                            + Xml.quote(path) + ": a peer's definition names a QEMU binary (qemu-system-*, qemu-kvm) or"
                            + " none; an operator may migrate it client-managed");
                }
            }
        }
    }
}
