package io.ferry.core.control;

import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.daemon.StartFailure;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.migration.MigrationService;
import io.ferry.core.section.SectionRegistry;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.protocol.OperatorTokens;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control channel: XML over HTTP on {@code ferry.listen} ({@link ChannelServer}), over mutual TLS when
 * the daemon has a TLS identity, every request routed by one table ({@link RouteTable}) that says who may call it
 * ({@link Callers}). Once bound it registers a service carrying {@value #URL_PROPERTY} (the actual address, also
 * when port 0 was asked for), which is how the launcher finds it; the same URI is written to {@value #URL_FILE} in
 * the state directory.
 */
@Component(service = {}, immediate = true)
public class ControlServer {
    /** Service property: the control channel's URI, {@code ferry+tcp://HOST:PORT} or {@code ferry+tls://HOST:PORT}. */
    public static final String URL_PROPERTY = "ferry.control.url";
    /** File in the state directory holding the control channel's URI while the daemon runs. */
    public static final String URL_FILE = "control-url";
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    private final ChannelServer server;
    private final ServiceRegistration<ControlServer> registration;
    private final Path stateDir;
    private final String token;
    /** Where the operator token is, for this daemon's user only; null on TLS or off loopback. */
    private final Path tokenFile;

    @Activate
    public ControlServer(BundleContext context, @Reference Daemon daemon, @Reference SectionRegistry registry,
            @Reference DomainManager domains, @Reference MigrationService migrationService, @Reference SnapshotFiles snapshots)
            throws IOException {
        MigrationEngine migrations = migrationService.engine();
        DaemonSettings settings = daemon.settings();
        RouteTable routes = routes(daemon, registry, domains, migrations, snapshots, context.getBundle().getVersion().toString());
        InetSocketAddress listen = settings.listen();
        boolean plainOnLoopback = daemon.tls() == null && listen.getAddress().isLoopbackAddress();
        token = plainOnLoopback ? OperatorTokens.generate() : null;
        Callers callers = new Callers(settings.tlsAllowOperators(), settings.tlsAllowPeers(), token);
        stateDir = settings.stateDir();
        server = new ChannelServer(listen, daemon.tls(), new ChannelHandler(routes, callers, migrations::admits));
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            String reason = "cannot listen on " + listen.getHostString() + ":" + listen.getPort() + ": " + reason(e);
            LOG.error("{}, the daemon does not start", reason);
            StartFailure.report(context, reason);
            throw e instanceof IOException io ? io : new IOException(reason, e);
        }
        tokenFile = token == null ? null : publish(context, token);
        String url = ChannelTls.url(server.address(), daemon.tls());
        writeUrlFile(context, url);
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(URL_PROPERTY, url);
        daemon.publishControlUrl(url);
        registration = context.registerService(ControlServer.class, this, properties);
        StartFailure.withdraw(context); // the daemon started: an earlier start's failure no longer stands
        LOG.info("control channel listening on {}", url);
        logAccess(settings, url, daemon.tls() != null, callers);
    }

    /** Writes the operator token where this daemon's user, and only that user, finds it; the daemon does not start without. */
    private Path publish(BundleContext context, String operatorToken) throws IOException {
        try {
            Path file = OperatorTokens.publish(server.address(), operatorToken);
            LOG.info("operator token for plain TCP written to {} (readable by this daemon's user only)", file);
            return file;
        } catch (IOException e) {
            server.stop();
            String reason = "cannot write the operator token of the plain-TCP control channel: " + e.getMessage();
            LOG.error("{}, the daemon does not start", reason);
            StartFailure.report(context, reason);
            throw new IOException(reason, e);
        }
    }

    /**
     * Writes the channel's URL beside the state, for scripts and tests that asked for port 0, before the channel is
     * published. A failure ends the start, and takes back what it started: nothing deactivates a component whose
     * activation failed, so its listening port and token stayed for good (a later start on the port found it taken).
     */
    private void writeUrlFile(BundleContext context, String url) throws IOException {
        try {
            AtomicFiles.write(stateDir.resolve(URL_FILE), (url + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            if (tokenFile != null) {
                OperatorTokens.withdraw(tokenFile, token);
            }
            server.stop();
            String reason = "cannot write " + stateDir.resolve(URL_FILE) + ": " + e.getMessage();
            LOG.error("{}, the daemon does not start", reason);
            StartFailure.report(context, reason);
            throw new IOException(reason, e);
        }
    }

    /** The channel's routing table: every operation, its handler and who may call it. */
    static RouteTable routes(Daemon daemon, SectionRegistry registry, DomainManager domains, MigrationEngine migrations,
            SnapshotFiles snapshots, String version) {
        DaemonSettings settings = daemon.settings();
        RouteTable routes = new RouteTable();
        new DomainsResource(domains, migrations, snapshots).addTo(routes, settings.cookieMaxBytes());
        new SnapshotsResource(domains, snapshots).addTo(routes);
        new MigrationResource(migrations, settings.cookieMaxBytes(), settings.cookieMaxDepth()).addTo(routes);
        new CookieToolsResource(daemon, registry, domains).addTo(routes);
        new SectionsResource(registry, migrations, version).addTo(routes);
        return routes;
    }

    /** Who may drive this daemon, said at every start. */
    private static void logAccess(DaemonSettings settings, String url, boolean tls, Callers callers) {
        boolean loopback = settings.listen().getAddress().isLoopbackAddress();
        if (tls) {
            LOG.info("TLS clients: {}", callers.describe());
        } else if (!loopback) {
            LOG.warn("insecure TCP (insecureTcp): the control channel is plain TCP off loopback, so anyone who reaches {} may drive "
                    + "this daemon and read its guests' memory; use TLS", url);
        }
        if (settings.insecureTcp() && (tls || loopback)) {
            LOG.warn("insecureTcp is set but has no effect: the control channel is {}", tls ? "TLS" : "on loopback");
        }
    }

    private static String reason(Exception e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof BindException)) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    @Deactivate
    void deactivate() {
        try {
            Files.deleteIfExists(stateDir.resolve(URL_FILE));
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", stateDir.resolve(URL_FILE), e.getMessage());
        }
        if (tokenFile != null) {
            OperatorTokens.withdraw(tokenFile, token);
        }
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        server.stop();
        LOG.info("control channel closed");
    }
}
