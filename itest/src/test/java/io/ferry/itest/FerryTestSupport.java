package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.CoreOptions.url;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.inject.Inject;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Constants;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.options.MavenArtifactProvisionOption;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The framework every Ferry integration test runs in: logging (SPI Fly + SLF4J + Logback), Declarative Services,
 * Config Admin and Ferry's reactor bundles, but no daemon configuration: each test creates it, as an operator would.
 */
public abstract class FerryTestSupport {
    /** How long any awaited change may take; generous for a shared 2-core machine. */
    protected static final long WAIT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    protected static final String DAEMON_PID = "io.ferry.daemon";
    protected static final String CONTROL_URL = "ferry.control.url";
    protected static final String HOST_UUID = "5a1e0c1d-7f3b-4e6a-9d2c-1f00d0000001";

    @Inject
    protected BundleContext context;

    @Configuration
    public Option[] config() {
        return options(
                // pax.exam.system=default (set by the pom): only what is listed here, in this order
                bootDelegationPackage("sun.*"),
                frameworkStartLevel(Constants.START_LEVEL_TEST_BUNDLE),
                cleanCaches(),
                systemTimeout(WAIT_MILLIS),
                // SLF4J 2 finds its provider through the ServiceLoader mediator: SPI Fly first, then the API and
                // the provider, before anything logs (SLF4J binds once)
                maven("org.apache.aries.spifly", "org.apache.aries.spifly.dynamic.bundle").startLevel(1),
                maven("org.ow2.asm", "asm").startLevel(1),
                maven("org.ow2.asm", "asm-commons").startLevel(1),
                maven("org.ow2.asm", "asm-tree").startLevel(1),
                maven("org.ow2.asm", "asm-util").startLevel(1),
                maven("org.ow2.asm", "asm-analysis").startLevel(1),
                maven("org.slf4j", "slf4j-api").startLevel(2),
                maven("ch.qos.logback", "logback-core").startLevel(2),
                maven("ch.qos.logback", "logback-classic").startLevel(2),
                // pax-exam's own bundles (what pax.exam.system=test would add at level 2, where they would log
                // before the provider is there), then the test invoker
                paxExam("org.ops4j.base"),
                paxExam("org.ops4j.pax.swissbox.core"),
                paxExam("org.ops4j.pax.swissbox.extender"),
                paxExam("org.ops4j.pax.swissbox.framework"),
                paxExam("org.ops4j.pax.swissbox.lifecycle"),
                paxExam("org.ops4j.pax.swissbox.tracker"),
                paxExam("org.apache.geronimo.specs.atinject"),
                paxExam("org.ops4j.pax.exam"),
                paxExam("org.ops4j.pax.exam.inject"),
                paxExam("org.ops4j.pax.extender.service"),
                junitBundles(),
                // the system under test
                maven("org.osgi", "org.osgi.util.function").startLevel(4),
                maven("org.osgi", "org.osgi.util.promise").startLevel(4),
                maven("org.osgi", "org.osgi.service.component").startLevel(4),
                maven("org.apache.felix", "org.apache.felix.scr").startLevel(4),
                maven("org.apache.felix", "org.apache.felix.configadmin").startLevel(4),
                reactorBundle("api"),
                reactorBundle("core"),
                reactorBundle("graphics"),
                reactorBundle("lockstate"),
                reactorBundle("ovs"),
                reactorBundle("snapshots"),
                reactorBundle("driverSim"),
                reactorBundle("testkit"));
    }

    /** One of pax-exam's runtime bundles, by the link pax-exam-link-mvn ships (a mvn: URL of the same version). */
    private static Option paxExam(String link) {
        return url("link:classpath:META-INF/links/" + link + ".link").startLevel(3);
    }

    private static MavenArtifactProvisionOption maven(String groupId, String artifactId) {
        return mavenBundle(groupId, artifactId).versionAsInProject();
    }

    private static Option reactorBundle(String name) {
        return bundle(reactorJar(name).toURI().toString()).startLevel(4);
    }

    /** A reactor module's jar, as the pom names it (system property {@code ferry.itest.bundle.NAME}). */
    protected static File reactorJar(String name) {
        String path = System.getProperty("ferry.itest.bundle." + name);
        assertNotNull("system property ferry.itest.bundle." + name + " (set by the pom)", path);
        File jar = new File(path);
        assertTrue("no such bundle " + jar + ": build the reactor modules first", jar.isFile());
        return jar;
    }

    /** A fresh directory under target/ for this test's files. */
    protected static Path workDir(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("ferry.itest.workDir", "target/itest-work"));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, prefix);
    }

    /**
     * Configures the daemon through Config Admin (listen on an ephemeral port, state in {@code stateDir}) and waits
     * for its control channel.
     *
     * @return the registration of the control channel, which carries {@value #CONTROL_URL}
     */
    protected ServiceReference<?> startDaemon(Path stateDir) throws Exception {
        ConfigurationAdmin configAdmin = awaitService(ConfigurationAdmin.class);
        // "?": a multi-location binding, so that core's SCR sees a configuration the probe bundle created
        org.osgi.service.cm.Configuration configuration = configAdmin.getConfiguration(DAEMON_PID, "?");
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("listen", "127.0.0.1:0");
        properties.put("stateDir", stateDir.toString());
        properties.put("hostUuid", HOST_UUID);
        properties.put("hostname", "itest-source");
        // a daemon an earlier test of this class started goes away asynchronously: wait for one registered after
        ServiceReference<?>[] earlier = context.getServiceReferences((String) null, "(" + CONTROL_URL + "=*)");
        long newerThan = earlier == null ? -1 : Arrays.stream(earlier)
                .mapToLong(r -> (Long) r.getProperty(org.osgi.framework.Constants.SERVICE_ID)).max().orElse(-1);
        configuration.update(properties);
        return awaitReference("(&(" + CONTROL_URL + "=*)(" + org.osgi.framework.Constants.SERVICE_ID + ">=" + (newerThan + 1) + "))");
    }

    /** Waits (bounded) for a service; the probe keeps it until the framework stops. */
    protected <T> T awaitService(Class<T> type) throws InterruptedException, InvalidSyntaxException {
        @SuppressWarnings("unchecked")
        ServiceReference<T> reference = (ServiceReference<T>) awaitReference("(objectClass=" + type.getName() + ")");
        T service = context.getService(reference);
        assertNotNull(type.getName() + " went away", service);
        return service;
    }

    /** Waits (bounded) for a service matching {@code filter} and returns its reference. */
    protected ServiceReference<?> awaitReference(String filter) throws InterruptedException, InvalidSyntaxException {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, FrameworkUtil.createFilter(filter), null);
        tracker.open(true);
        try {
            assertNotNull("no service " + filter + " within " + WAIT_MILLIS + " ms", tracker.waitForService(WAIT_MILLIS));
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }

    /** Refreshes {@code bundle} (and what depends on it) and waits for the framework to say it is done. */
    protected void refresh(Bundle bundle) throws InterruptedException {
        FrameworkWiring wiring = context.getBundle(org.osgi.framework.Constants.SYSTEM_BUNDLE_ID).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<FrameworkEvent> event = new AtomicReference<>();
        wiring.refreshBundles(List.of(bundle), e -> {
            event.set(e);
            done.countDown();
        });
        assertTrue("no refresh event within " + WAIT_MILLIS + " ms", done.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
        assertEquals("refresh event " + event.get(), FrameworkEvent.PACKAGES_REFRESHED, event.get().getType());
    }
}
