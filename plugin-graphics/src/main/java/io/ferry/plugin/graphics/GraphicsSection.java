package io.ferry.plugin.graphics;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code graphics} section: baked by the destination at Prepare, eaten by the source at Perform
 * before memory moves. Optional by design: without it the user reconnects by hand, so a failing relocation is
 * logged and never fails the migration (libvirt: "unable to provide data for graphics client relocation").
 */
@Component(service = CookieSection.class, configurationPid = "io.ferry.plugin.graphics",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@SectionProperties(feature = "graphics", element = "graphics", bakes = Phase.PREPARE, eats = Phase.PERFORM)
public class GraphicsSection implements CookieSection<GraphicsRelocation> {
    /** libvirt's graphics types. */
    private static final Set<String> TYPES = Set.of("sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus");
    /** The types whose clients can be told to reconnect (QEMU's client_migrate_info). */
    private static final Set<String> RELOCATABLE = Set.of("vnc", "spice");

    /** The plug-in's configuration (etc/io.ferry.plugin.graphics.cfg). */
    public @interface Config {
        /** The subject of this host's graphics TLS certificate, sent to the source's clients; empty: none. */
        String tlsSubject() default "";
    }

    private volatile String tlsSubject;

    @Activate
    @Modified
    void configure(Config config) {
        tlsSubject = config.tlsSubject().isBlank() ? null : config.tlsSubject().trim();
    }

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

    /** Destination, Prepare: where the incoming VM's first VNC or SPICE server listens. */
    @Override
    public Optional<GraphicsRelocation> bake(SectionContext context) {
        Optional<DomainSpec.Graphics> listener = context.capability(GraphicsConsole.class).stream()
                .flatMap(graphics -> graphics.listeners().stream())
                .filter(g -> RELOCATABLE.contains(g.type()))
                .findFirst();
        return listener.map(g -> new GraphicsRelocation(g.type(), g.port(),
                g.listen() == null || g.listen().isBlank() ? "0.0.0.0" : g.listen(),
                "spice".equals(g.type()) ? Integer.valueOf(-1) : null, tlsSubject));
    }

    /**
     * Source, Perform: tells the connected clients where to reconnect once the VM has moved; in a check
     * ({@link CheckOnly}), only where it would tell them to.
     */
    @Override
    public void eat(SectionContext context, GraphicsRelocation value) {
        Optional<GraphicsConsole> graphics = context.capability(GraphicsConsole.class);
        Optional<CheckOnly> check = context.capability(CheckOnly.class);
        if ((graphics.isEmpty() && check.isEmpty()) || !RELOCATABLE.contains(value.type())) {
            context.info("no " + value.type() + " clients to relocate");
            return;
        }
        Optional<String> refusal = ReconnectTarget.refusal(value);
        if (refusal.isPresent()) { // the peer's text would reach every client: see ReconnectTarget
            context.warn(refusal.get());
            return;
        }
        String host = value.listen().trim();
        if (ReconnectTarget.isWildcard(host)) {
            Optional<SectionContext.Host> remote = context.remoteHost();
            if (remote.isEmpty()) {
                context.warn("destination graphics listen on " + host + " and its hostname is unknown: clients are not relocated");
                return;
            }
            host = remote.get().hostname(); // the peer's text too: its cookie's header
            if (host == null || !ReconnectTarget.isHost(host)) {
                context.warn("destination graphics listen on " + value.listen().trim() + " and its hostname "
                        + ReconnectTarget.printable(String.valueOf(host)) + " is no host name or IP address: clients are"
                        + " not relocated");
                return;
            }
        }
        if (check.isPresent()) {
            check.get().wouldDo("tell the " + value.type() + " clients to reconnect to " + host + ":" + value.port());
            return;
        }
        try {
            graphics.get().relocateClients(new DomainSpec.Graphics(value.type(), value.port(), host),
                    value.tlsPort() == null ? -1 : value.tlsPort(), value.tlsSubject());
            context.info("graphics clients told to reconnect to " + host + ":" + value.port());
        } catch (Exception e) {
            context.warn("unable to provide data for graphics client relocation: " + e.getMessage());
        }
    }
}
