package io.ferry.core.domain;

import java.security.SecureRandom;
import java.util.Locale;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.Text;

/**
 * The MAC address libvirt's define gives an interface that names none: QEMU's prefix 52:54:00, then three random
 * bytes, kept in the stored definition so that the guest keeps it from boot to boot and from host to host. Without one
 * QEMU gives the first NIC of every guest 52:54:00:12:34:56, and two guests on one bridge would share an address.
 */
final class InterfaceMacs {
    private static final SecureRandom RANDOM = new SecureRandom();

    private InterfaceMacs() {
    }

    /** Gives {@code nic} a {@code <mac address>}, as its first child, if it has none; an address it names is kept. */
    static void give(Element nic) {
        Element mac = DomainXml.child(nic, "mac");
        if (mac == null) {
            mac = nic.getOwnerDocument().createElement("mac");
            Node first = nic.getFirstChild();
            if (first instanceof Text indent && indent.getData().isBlank()) { // indented as the element after it
                nic.insertBefore(mac, indent.getNextSibling());
                nic.insertBefore(indent.cloneNode(false), mac.getNextSibling());
            } else {
                nic.insertBefore(mac, first);
            }
        }
        if (!mac.hasAttribute("address")) {
            mac.setAttribute("address", random());
        }
    }

    private static String random() {
        byte[] bytes = new byte[3];
        RANDOM.nextBytes(bytes);
        return String.format(Locale.ROOT, "52:54:00:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2]);
    }
}
