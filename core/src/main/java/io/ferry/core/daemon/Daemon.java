package io.ferry.core.daemon;

import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.TlsFiles;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import javax.net.ssl.SSLContext;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's daemon: its identity, state directory and cookie limits. It waits for its configuration
 * ({@code etc/io.ferry.daemon.cfg}) so that nothing starts on defaults and then moves.
 */
@Component(service = Daemon.class, configurationPid = Daemon.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = DaemonConfig.class)
public class Daemon {
    public static final String PID = "io.ferry.daemon";
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final DaemonSettings settings;
    private final CookieBakery bakery;
    private final SSLContext tls;

    @Activate
    public Daemon(BundleContext context, DaemonConfig config) throws IOException {
        try {
            this.settings = DaemonSettings.resolve(config, context::getProperty);
        } catch (IllegalArgumentException e) {
            LOG.error("invalid configuration, the daemon does not start: {}", e.getMessage());
            throw e;
        }
        this.tls = loadTls(settings.tls());
        this.bakery = new CookieBakery(new CookieCodec(new HardenedXmlParser(settings.cookieMaxBytes(), settings.cookieMaxDepth())));
        LOG.info("host {} ({}), state in {}{}", settings.hostname(), settings.hostUuid(), settings.stateDir(),
                tls == null ? "" : ", TLS identity " + settings.tls().keystore());
    }

    private static SSLContext loadTls(TlsFiles files) {
        if (files == null) {
            return null;
        }
        try {
            return files.load();
        } catch (TlsFiles.TlsException e) {
            LOG.error("TLS setup failed, the daemon does not start: {}", e.getMessage());
            throw new IllegalStateException("TLS setup failed: " + e.getMessage());
        }
    }

    private volatile String controlUrl;

    /** The control channel's URI as bound (the port is known only then); null until it listens. */
    public String controlUrl() {
        return controlUrl;
    }

    /** Called by the control channel once bound. */
    public void publishControlUrl(String url) {
        this.controlUrl = url;
    }

    public DaemonSettings settings() {
        return settings;
    }

    public CookieBakery bakery() {
        return bakery;
    }

    /** The context of the control channel's mutual TLS, with this daemon's certificate; null: plain channel. */
    public SSLContext tls() {
        return tls;
    }

    /** A client for a peer daemon's control channel; {@code ferry+tls://} with this daemon's certificate. */
    public ControlClient peer(String uri) throws ChannelException {
        return new ControlClient(uri, tls);
    }
}
