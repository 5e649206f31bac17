package io.ferry.launcher;

import io.ferry.settings.FerrydSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A Felix framework booted from an installation: every jar of {@code bundle/} installed at the start level
 * {@code etc/startlevels.properties} gives it (logging first: SLF4J binds once, see docs/), plus any extra
 * bundle files. The framework first rises to Config Admin's start level, gets ferryd's configurations, and only
 * then starts Ferry's bundles, so that they never see a configuration move under them.
 */
public final class EmbeddedFramework implements AutoCloseable {
    private static final String CONTROL_URL = "ferry.control.url";
    /** Service property by which the core says why the daemon cannot start (io.ferry.core.daemon.StartFailure). */
    private static final String START_FAILURE = "ferry.start.failure";
    /** A {@link Runnable} of the core's that a stop runs before it stops the core: it freezes the journal. */
    private static final String STOPPING = "ferry.stopping";
    private static final String CONFIG_ADMIN = "org.apache.felix.configadmin";
    private static final String CORE = "io.ferry.core";
    /** What a stop may take in all, the core's own included. */
    private static final long STOP_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    private final Felix framework;

    /** Around a framework that runs (tests: one of their own). */
    EmbeddedFramework(Felix framework) {
        this.framework = framework;
    }

    /** The daemon did not come up; the message is one line naming the problem. */
    public static final class StartFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        StartFailedException(String message) {
            super(message);
        }
    }

    /**
     * @param options the configurations to put into Config Admin and the framework properties
     * @param storage the framework's cache directory, emptied at start
     * @param extraBundles bundle files installed after {@code bundle/}
     */
    static EmbeddedFramework start(FerryHome home, DaemonOptions options, Path storage, List<Path> extraBundles) throws Exception {
        Properties startLevels = load(home.etc().resolve("startlevels.properties"));
        List<BundleJar> jars = new ArrayList<>(BundleJar.scan(home.bundles(), startLevels));
        Properties empty = new Properties();
        for (Path extra : extraBundles) {
            jars.addAll(BundleJar.scan(extra.getParent(), empty).stream().filter(j -> j.file().equals(extra)).toList());
        }
        int topLevel = jars.stream().mapToInt(BundleJar::startLevel).max().orElse(BundleJar.DEFAULT_START_LEVEL);
        int configLevel = configAdminLevel(jars);

        Map<String, Object> config = new HashMap<>();
        config.put("org.osgi.framework.storage", storage.toString());
        config.put("org.osgi.framework.storage.clean", "onFirstInit");
        config.put("org.osgi.framework.startlevel.beginning", Integer.toString(configLevel));
        config.put("felix.startlevel.bundle", Integer.toString(BundleJar.DEFAULT_START_LEVEL));
        config.put("felix.log.level", "1");
        config.put("felix.log.logger", new StderrLogger());
        config.put(FerryHome.PROPERTY, home.root().toString());
        config.put("felix.fileinstall.dir", home.etc().toString());
        config.put("felix.fileinstall.filter", configFilesExceptFerryds());
        config.put("felix.fileinstall.poll", "1000");
        config.put("felix.fileinstall.noInitialDelay", "true");
        config.put("felix.fileinstall.enableConfigSave", "false");
        config.put("felix.fileinstall.log.level", "1");
        // the core gets a section's service object for every call and gives it back after: without this, SCR would
        // deactivate a delayed component (the sections are) each time its last user gave it back, and build it again
        // for the next call (a tenth of a migration's CPU went there)
        config.put("ds.delayed.keepInstances", "true");
        config.putAll(options.frameworkProperties());

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
            ConfigAdmin.put(felix.getBundleContext(), options.configurations(), Duration.ofSeconds(30));
            // as Felix's start() does for its beginning level: return once every bundle has been started
            CountDownLatch risen = new CountDownLatch(1);
            felix.adapt(FrameworkStartLevel.class).setStartLevel(topLevel, event -> risen.countDown());
            risen.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            stopQuietly(felix);
            throw e;
        }
        return new EmbeddedFramework(felix);
    }

    /** Config Admin must be active before any of Ferry's bundles, which read their configuration when they start. */
    private static int configAdminLevel(List<BundleJar> jars) {
        int level = jars.stream().filter(j -> j.symbolicName().equals(CONFIG_ADMIN)).mapToInt(BundleJar::startLevel).findFirst()
                .orElseThrow(() -> new IllegalStateException("bundle/ has no Config Admin (" + CONFIG_ADMIN + ")"));
        for (BundleJar jar : jars) {
            if (jar.symbolicName().startsWith("io.ferry.") && jar.startLevel() <= level) {
                throw new IllegalStateException("etc/startlevels.properties starts " + jar.symbolicName() + " at level "
                        + jar.startLevel() + ", not after Config Admin (level " + level + ")");
            }
        }
        return level;
    }

    /**
     * FileInstall loads every other {@code etc/*.cfg}, and keeps following them; ferryd's own it reads at start only,
     * nor a {@code PID-NAME.cfg} of theirs, a factory configuration that would stand in for them (refused at the start:
     * {@link DaemonOptions}), put there while ferryd runs.
     */
    static String configFilesExceptFerryds() {
        return "(?!(" + FerrydSettings.configurations().stream().map(Pattern::quote).collect(Collectors.joining("|"))
                + ")(-.*)?\\.cfg$).*\\.cfg";
    }

    /**
     * Waits for the daemon's control channel and returns its URI, or for the core to say why the daemon cannot
     * start ({@value #START_FAILURE}).
     */
    public String awaitControlUrl(Duration timeout) throws InterruptedException, StartFailedException {
        Filter filter;
        try {
            filter = framework.getBundleContext().createFilter("(|(" + CONTROL_URL + "=*)(" + START_FAILURE + "=*))");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(framework.getBundleContext(), filter, null);
        tracker.open(true);
        try {
            if (tracker.waitForService(timeout.toMillis()) == null) {
                throw new StartFailedException("the control channel did not come up within " + timeout.toSeconds() + " s (see the log)");
            }
            ServiceReference<Object> reference = tracker.getServiceReference();
            Object failure = reference.getProperty(START_FAILURE);
            if (failure != null) {
                throw new StartFailedException(failure.toString());
            }
            return (String) reference.getProperty(CONTROL_URL);
        } finally {
            tracker.close();
        }
    }

    /** Blocks until the framework has stopped, for whatever reason. */
    public void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /**
     * Stops the core, then every other bundle in reverse start order (their {@code @Deactivate} runs), and waits for
     * the end.
     */
    @Override
    public void close() {
        stopQuietly(framework);
    }

    private static void stopQuietly(Felix felix) {
        long deadline = System.currentTimeMillis() + STOP_TIMEOUT_MILLIS;
        try {
            stopCore(felix, deadline);
            felix.stop();
            // waitForStop(0) would wait for ever
            FrameworkEvent event = felix.waitForStop(Math.max(1, deadline - System.currentTimeMillis()));
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                System.err.println("ferry: the framework did not stop within " + STOP_TIMEOUT_MILLIS / 1000 + " s");
            }
        } catch (BundleException | InterruptedException e) {
            System.err.println("ferry: stopping the framework failed: " + e);
        }
    }

    /**
     * The core alone first, while everything it uses still runs. The framework stops a level's bundles by descending
     * id, SCR (installed after Ferry's, by name) first, and SCR deactivates every bundle's components in no set
     * order: the QEMU driver or the lock manager could go while the core served on, which took the failures of their
     * going for outcomes and journalled them (ABORTED, FINISHED), where a killed daemon's next start resumed the guest.
     */
    private static void stopCore(Felix felix, long deadline) throws InterruptedException {
        BundleContext context = felix.getBundleContext();
        List<Bundle> cores;
        try {
            cores = context == null ? List.of()
                    : Arrays.stream(context.getBundles()).filter(b -> CORE.equals(b.getSymbolicName())).toList();
        } catch (IllegalStateException stopped) {
            return;
        }
        if (cores.isEmpty()) {
            return;
        }
        // on a thread of its own, so that a deactivation that hangs cannot hold the stop past its time
        Thread stopping = new Thread(() -> {
            runStoppingHooks(context);
            for (Bundle core : cores) {
                try {
                    core.stop(Bundle.STOP_TRANSIENT);
                } catch (BundleException | IllegalStateException e) {
                    System.err.println("ferry: stopping " + CORE + " failed: " + e);
                }
            }
        }, "ferry-core-stop");
        stopping.setDaemon(true);
        stopping.start();
        stopping.join(Math.max(1, deadline - System.currentTimeMillis()));
        if (stopping.isAlive()) {
            System.err.println("ferry: " + CORE + " did not stop within " + STOP_TIMEOUT_MILLIS / 1000 + " s");
        }
    }

    /**
     * First the core's {@value #STOPPING} hooks: from now on its journal records no step but the points of no return
     * (a destination's commit, a source's end once its copy is stopped), so that a call still running when the driver,
     * the lock manager and the host's settings go with the core's components (SCR disposes them one by one, and an
     * HTTP call is not waited for) leaves each migration at its last step, as a crash would.
     */
    private static void runStoppingHooks(BundleContext context) {
        try {
            ServiceReference<?>[] hooks = context.getServiceReferences(Runnable.class.getName(),
                    "(" + STOPPING + "=true)");
            for (ServiceReference<?> reference : hooks == null ? new ServiceReference<?>[0] : hooks) {
                Object hook = context.getService(reference);
                try {
                    if (hook instanceof Runnable runnable) {
                        runnable.run();
                    }
                } finally {
                    if (hook != null) {
                        context.ungetService(reference);
                    }
                }
            }
        } catch (InvalidSyntaxException | RuntimeException e) {
            System.err.println("ferry: the core's stopping hook failed: " + e);
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
