package io.ferry.plugin.graphics;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code graphics} section: baked by the destination at Prepare, eaten by the source at Perform
 * before memory moves. Optional by design: without it the user reconnects by hand.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "graphics", element = "graphics", bakes = Phase.PREPARE, eats = Phase.PERFORM)
public class GraphicsSection implements CookieSection<GraphicsRelocation> {
    /** libvirt's graphics types. */
    private static final Set<String> TYPES = Set.of("sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus");

    @Override
    public GraphicsRelocation parse(Element fragment) throws CookieException {
        String type = fragment.getAttribute("type");
        if (type.isEmpty()) {
            throw new CookieException("missing type attribute in migration data");
        }
        if (!TYPES.contains(type)) {
            throw new CookieException("unknown graphics type " + type);
        }
        int port = integer(fragment, "port");
        Integer tlsPort = "spice".equals(type) ? integer(fragment, "tlsPort") : null;
        String listen = fragment.getAttribute("listen");
        if (listen.isEmpty()) { // libvirt's virXPathString reads an empty attribute as none
            throw new CookieException("missing listen attribute in migration data");
        }
        String subject = null;
        for (Node node = fragment.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element cert && cert.getTagName().equals("cert")
                    && "subject".equals(cert.getAttribute("info")) && subject == null) {
                subject = cert.getAttribute("value");
            }
        }
        return new GraphicsRelocation(type, port, listen, tlsPort, subject);
    }

    private static int integer(Element fragment, String attribute) throws CookieException {
        try {
            return Integer.parseInt(fragment.getAttribute(attribute).trim());
        } catch (NumberFormatException e) {
            throw new CookieException("missing " + attribute + " attribute in migration data");
        }
    }

    @Override
    public void format(GraphicsRelocation value, Element fragment) {
        fragment.setAttribute("type", value.type());
        fragment.setAttribute("port", Integer.toString(value.port()));
        fragment.setAttribute("listen", value.listen());
        if (value.tlsPort() != null) {
            fragment.setAttribute("tlsPort", Integer.toString(value.tlsPort()));
        }
        if (value.tlsSubject() != null) {
            Element cert = fragment.getOwnerDocument().createElement("cert");
            cert.setAttribute("info", "subject");
            cert.setAttribute("value", value.tlsSubject());
            fragment.appendChild(cert);
        }
    }

    @Override
    public Optional<GraphicsRelocation> bake(SectionContext context) {
        return Optional.empty();
    }

    @Override
    public void eat(SectionContext context, GraphicsRelocation value) {
        context.info("destination graphics listen on " + value.listen() + ":" + value.port());
    }
}
