package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.migration.MigrationService;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.core.section.SectionRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control channel: XML over HTTP on {@code ferry.listen}, over mutual TLS when the daemon has a
 * TLS identity ({@link ChannelTls}). Once bound it registers a service carrying {@value #URL_PROPERTY} (the
 * actual address, also when port 0 was asked for), which is how the launcher finds it; the same URI is written
 * to {@value #URL_FILE} in the state directory.
 */
@Component(service = {}, immediate = true)
public class ControlServer {
    /** Service property: the control channel's URI, {@code ferry+tcp://HOST:PORT} or {@code ferry+tls://HOST:PORT}. */
    public static final String URL_PROPERTY = "ferry.control.url";
    /** File in the state directory holding the control channel's URI while the daemon runs. */
    public static final String URL_FILE = "control-url";
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    private final HttpServer server;
    private final ExecutorService workers;
    private final ServiceRegistration<ControlServer> registration;
    private final java.nio.file.Path stateDir;

    @Activate
    public ControlServer(BundleContext context, @Reference Daemon daemon, @Reference SectionRegistry registry,
            @Reference DomainManager domains, @Reference MigrationService migrationService, @Reference SnapshotFiles snapshots)
            throws IOException {
        MigrationEngine migrations = migrationService.engine();
        int maxBytes = daemon.settings().cookieMaxBytes();
        MigrationResource migration = new MigrationResource(migrations, maxBytes, daemon.settings().cookieMaxDepth());
        String version = context.getBundle().getVersion().toString();
        Map<String, Resource> resources = Map.of(
                "sections", new SectionsResource(registry),
                "cookie", new CookieToolsResource(daemon, registry),
                "domains", new DomainsResource(domains, migrations, maxBytes, new SnapshotsResource(snapshots)),
                "migration", migration,
                "migrate", (exchange, sub) -> migration.migrate(exchange),
                "events", (exchange, sub) -> Exchanges.reply(exchange, 200, events(migrations)),
                "version", (exchange, sub) -> Exchanges.reply(exchange, 200, "<version ferry='" + version + "' protocols='"
                        + migrations.protocols().stream().sorted().map(String::valueOf).collect(java.util.stream.Collectors.joining(","))
                        + "'/>\n"));
        InetSocketAddress listen = daemon.settings().listen();
        stateDir = daemon.settings().stateDir();
        // The JDK server writes a reply's headers and body as two segments; with Nagle on, the body waits for the
        // ACK of the headers, which a keep-alive client delays by 40 ms: every call of a reused connection (each
        // migration phase, each snapshot-create-as) took 40 ms more. Read once, when the first server is created.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        server = ChannelTls.bind(listen, 64, daemon.tls());
        AtomicInteger threads = new AtomicInteger();
        workers = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "ferry-control-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(workers);
        server.createContext("/v1/", exchange -> dispatch(exchange, resources));
        server.start();
        InetSocketAddress bound = server.getAddress();
        String url = ChannelTls.url(bound, daemon.tls());
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(URL_PROPERTY, url);
        daemon.publishControlUrl(url);
        registration = context.registerService(ControlServer.class, this, properties);
        // for scripts and tests that asked for port 0
        AtomicFiles.write(daemon.settings().stateDir().resolve(URL_FILE), (url + "\n").getBytes(StandardCharsets.UTF_8));
        LOG.info("control channel listening on {}", url);
    }

    private static String events(MigrationEngine migrations) {
        io.ferry.protocol.Xml list = io.ferry.protocol.Xml.create("events");
        for (var event : migrations.events()) {
            list.child("event").attr("seq", event.sequence()).attr("time", event.time()).attr("domain", event.domain())
                    .attr("type", "migration-" + event.operation()).attr("side", event.side());
        }
        return list.write();
    }

    static void dispatch(HttpExchange exchange, Map<String, Resource> resources) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath().substring("/v1/".length());
            int slash = path.indexOf('/');
            String name = slash < 0 ? path : path.substring(0, slash);
            Resource resource = resources.get(name);
            try {
                if (resource == null) {
                    throw new Exchanges.BadRequest(404, "no such resource: /v1/" + path);
                }
                resource.handle(exchange, slash < 0 ? "" : path.substring(slash + 1));
            } catch (Exchanges.BadRequest e) {
                Exchanges.error(exchange, e.status, e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("control request {} failed", exchange.getRequestURI(), e);
                Exchanges.error(exchange, 500, "internal error: " + e);
            }
        }
    }

    @Deactivate
    void deactivate() {
        try {
            java.nio.file.Files.deleteIfExists(stateDir.resolve(URL_FILE));
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", stateDir.resolve(URL_FILE), e.getMessage());
        }
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        server.stop(0);
        workers.shutdownNow();
        LOG.info("control channel closed");
    }
}
