package io.ferry.core.migration;

import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.xml.sax.Attributes;
import org.xml.sax.helpers.DefaultHandler;

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
        List<String> emulators = new ArrayList<>();
        try {
            parser.read(xml, "domain definition", new Emulators(emulators));
        } catch (XmlException e) {
            throw new MigrationException("Prepare carried a domain definition that is not well-formed XML: " + e.getMessage());
        }
        for (String emulator : emulators) {
            String path = emulator.strip();
            String name = path.substring(path.lastIndexOf('/') + 1);
            if (!QEMU.matcher(name).matches()) {
                throw new MigrationException("certificate subject '" + peer + "' may not have this host start emulator "
                        + Xml.quote(path) + ": a peer's definition names a QEMU binary (qemu-system-*, qemu-kvm) or none;"
                        + " an operator may migrate it client-managed");
            }
        }
    }

    /** The text of each {@code <emulator>} in {@code /domain/devices}. */
    private static final class Emulators extends DefaultHandler {
        private final List<String> found;
        private final List<String> path = new ArrayList<>();
        private StringBuilder text;

        Emulators(List<String> found) {
            this.found = found;
        }

        @Override
        public void startElement(String uri, String localName, String tag, Attributes attributes) {
            path.add(tag);
            if (path.equals(List.of("domain", "devices", "emulator"))) {
                text = new StringBuilder();
            }
        }

        @Override
        public void characters(char[] chars, int start, int length) {
            if (text != null) {
                text.append(chars, start, length);
            }
        }

        @Override
        public void endElement(String uri, String localName, String tag) {
            if (text != null && path.size() == 3) {
                found.add(text.toString());
                text = null;
            }
            path.remove(path.size() - 1);
        }
    }
}
