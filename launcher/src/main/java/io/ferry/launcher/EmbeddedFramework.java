package io.ferry.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A Felix framework booted from an installation: every jar of {@code bundle/} installed at the start level
 * {@code etc/startlevels.properties} gives it (logging first: SLF4J binds once, see docs/), plus any extra
 * bundle files, then the framework started.
 */
public final class EmbeddedFramework implements AutoCloseable {
    /** Framework property of the deploy directory that FileInstall watches ({@code etc/org.apache.felix.fileinstall-deploy.cfg}). */
    public static final String DEPLOY_DIR = "ferry.deploy.dir";
    private static final String CONTROL_URL = "ferry.control.url";

    private final Felix framework;

    private EmbeddedFramework(Felix framework) {
        this.framework = framework;
    }

    /**
     * @param properties framework properties beyond the installation's defaults (ferry.* settings)
     * @param storage the framework's cache directory, emptied at start
     * @param extraBundles bundle files installed after {@code bundle/}
     */
    public static EmbeddedFramework start(FerryHome home, Map<String, String> properties, Path storage,
            List<Path> extraBundles) throws BundleException {
        Properties startLevels = load(home.etc().resolve("startlevels.properties"));
        List<BundleJar> jars = new ArrayList<>(BundleJar.scan(home.bundles(), startLevels));
        Properties empty = new Properties();
        for (Path extra : extraBundles) {
            jars.addAll(BundleJar.scan(extra.getParent(), empty).stream().filter(j -> j.file().equals(extra)).toList());
        }
        int topLevel = jars.stream().mapToInt(BundleJar::startLevel).max().orElse(BundleJar.DEFAULT_START_LEVEL);

        Map<String, Object> config = new HashMap<>();
        config.put("org.osgi.framework.storage", storage.toString());
        config.put("org.osgi.framework.storage.clean", "onFirstInit");
        config.put("org.osgi.framework.startlevel.beginning", Integer.toString(topLevel));
        config.put("felix.startlevel.bundle", Integer.toString(BundleJar.DEFAULT_START_LEVEL));
        config.put("felix.log.level", "1");
        config.put("felix.log.logger", new StderrLogger());
        config.put(FerryHome.PROPERTY, home.root().toString());
        config.put("felix.fileinstall.dir", home.etc().toString());
        config.put("felix.fileinstall.filter", ".*\\.cfg");
        config.put("felix.fileinstall.poll", "1000");
        config.put("felix.fileinstall.noInitialDelay", "true");
        config.put("felix.fileinstall.enableConfigSave", "false");
        config.put("felix.fileinstall.log.level", "1");
        config.putAll(properties);

        Felix felix = new Felix(config);
        felix.init();
        try {
            for (BundleJar jar : jars) {
                Bundle bundle = felix.getBundleContext().installBundle(jar.file().toUri().toString());
                bundle.adapt(BundleStartLevel.class).setStartLevel(jar.startLevel());
                if (bundle.getHeaders().get("Fragment-Host") == null) {
                    bundle.start();
                }
            }
            felix.start();
        } catch (BundleException | RuntimeException e) {
            stopQuietly(felix);
            throw e;
        }
        return new EmbeddedFramework(felix);
    }

    /** Waits for the daemon's control channel and returns its URI. */
    public String awaitControlUrl(Duration timeout) throws InterruptedException {
        Filter filter;
        try {
            filter = framework.getBundleContext().createFilter("(" + CONTROL_URL + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(framework.getBundleContext(), filter, null);
        tracker.open(true);
        try {
            if (tracker.waitForService(timeout.toMillis()) == null) {
                throw new IllegalStateException("the daemon's control channel did not come up within " + timeout.toSeconds()
                        + " s (is etc/io.ferry.daemon.cfg present and valid? see the log)");
            }
            return (String) tracker.getServiceReference().getProperty(CONTROL_URL);
        } finally {
            tracker.close();
        }
    }

    /** Blocks until the framework has stopped, for whatever reason. */
    public void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /** Stops every bundle in reverse start order (their {@code @Deactivate} runs) and waits for the end. */
    @Override
    public void close() {
        stopQuietly(framework);
    }

    private static void stopQuietly(Felix felix) {
        try {
            felix.stop();
            FrameworkEvent event = felix.waitForStop(TimeUnit.SECONDS.toMillis(30));
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                System.err.println("ferry: the framework did not stop within 30 s");
            }
        } catch (BundleException | InterruptedException e) {
            System.err.println("ferry: stopping the framework failed: " + e);
        }
    }

    private static Properties load(Path file) {
        Properties properties = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        return properties;
    }
}
