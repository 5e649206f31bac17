package io.ferry.core.daemon;

import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
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

    @Activate
    public Daemon(BundleContext context, DaemonConfig config) throws IOException {
        this.settings = DaemonSettings.resolve(config, context::getProperty);
        this.bakery = new CookieBakery(new CookieCodec(new HardenedXmlParser(settings.cookieMaxBytes(), settings.cookieMaxDepth())));
        LOG.info("host {} ({}), state in {}", settings.hostname(), settings.hostUuid(), settings.stateDir());
    }

    public DaemonSettings settings() {
        return settings;
    }

    public CookieBakery bakery() {
        return bakery;
    }
}
