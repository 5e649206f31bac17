package io.ferry.core.daemon;

import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.TlsFiles;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.settings.FerrydSettings;
import io.ferry.settings.SettingException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's daemon: its identity, state directory and cookie limits. It waits for its configuration
 * ({@value FerrydSettings#DAEMON}: ferryd puts it there at start, flags over {@code etc/io.ferry.daemon.cfg}) so
 * that nothing starts on defaults and then moves. When it cannot start, it logs why and tells ferryd
 * ({@link StartFailure}).
 */
@Component(service = Daemon.class, configurationPid = Daemon.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
public class Daemon {
    public static final String PID = FerrydSettings.DAEMON;
    /** Framework property: the installation's root, which relative paths of the configuration are relative to. */
    private static final String HOME = "ferry.home";
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final DaemonSettings settings;
    private final CookieBakery bakery;
    private final SSLContext tls;

    @Activate
    public Daemon(BundleContext context, Map<String, Object> configuration) throws IOException {
        String home = context.getProperty(HOME);
        try {
            this.settings = DaemonSettings.resolve(configuration, home == null ? null : Path.of(home));
        } catch (SettingException e) {
            refuse(context, "invalid configuration", e.getMessage());
            throw e;
        } catch (IOException e) {
            refuse(context, "cannot set up the state directory", e.toString());
            throw e;
        }
        this.tls = loadTls(context, settings.tls());
        this.bakery = new CookieBakery(new CookieCodec(new HardenedXmlParser(settings.cookieMaxBytes(), settings.cookieMaxDepth())));
        LOG.info("host {} ({}), state in {}{}", settings.hostname(), settings.hostUuid(), settings.stateDir(),
                tls == null ? "" : ", TLS identity " + settings.tls().keystore());
        StartFailure.withdraw(context); // its configuration was fixed: an earlier start's failure no longer stands
    }

    private static SSLContext loadTls(BundleContext context, TlsFiles files) {
        if (files == null) {
            return null;
        }
        try {
            return files.load();
        } catch (TlsFiles.TlsException e) {
            refuse(context, "TLS setup failed", e.getMessage());
            throw new IllegalStateException("TLS setup failed: " + e.getMessage());
        }
    }

    /** Logs the ERROR line, and tells ferryd the same in one line. */
    private static void refuse(BundleContext context, String problem, String detail) {
        LOG.error("{}, the daemon does not start: {}", problem, detail);
        StartFailure.report(context, problem + ": " + detail);
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
