package io.ferry.launcher;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.felix.framework.Felix;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;

/**
 * A stop (SIGTERM's shutdown hook, the offline runtime's end) takes the core down first, before anything it uses:
 * otherwise the framework stops a level's bundles by descending id, SCR (installed after Ferry's, by name) first, and
 * SCR deactivates every bundle's components in no set order, so the QEMU driver could go while the core still served.
 */
public class FrameworkStopTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();
    private Felix felix;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @Before
    public void framework() throws Exception {
        felix = new Felix(Map.of("org.osgi.framework.storage", temp.newFolder("felix-cache").toString(),
                "org.osgi.framework.storage.clean", "onFirstInit", "felix.log.level", "1"));
        felix.init();
        felix.getBundleContext().addBundleListener((SynchronousBundleListener) event -> {
            if (event.getBundle().getBundleId() != 0 && (event.getType() == BundleEvent.STOPPING
                    || event.getType() == BundleEvent.STOPPED)) {
                events.add((event.getType() == BundleEvent.STOPPING ? "stopping " : "stopped ")
                        + event.getBundle().getSymbolicName());
            }
        });
    }

    @After
    public void stopped() throws Exception {
        felix.stop();
        felix.waitForStop(10_000);
    }

    /** As BundleJar.scan installs them: by name, so the core gets the lowest id of its level. */
    @Test
    public void theCoreStopsFirstAndIsStoppedBeforeAnythingElseStops() throws Exception {
        install("io.ferry.core", "io.ferry.driver.qemu", "org.apache.felix.scr");
        new EmbeddedFramework(felix).close();
        assertEquals(List.of("stopping io.ferry.core", "stopped io.ferry.core",
                "stopping org.apache.felix.scr", "stopped org.apache.felix.scr",
                "stopping io.ferry.driver.qemu", "stopped io.ferry.driver.qemu"), events);
    }

    /** The core's stopping hook (it freezes the journal) runs before the core's components start to go. */
    @Test
    public void theCoresStoppingHookRunsBeforeTheCoreStops() throws Exception {
        install("io.ferry.core", "io.ferry.driver.qemu", "org.apache.felix.scr");
        Bundle core = Arrays.stream(felix.getBundleContext().getBundles())
                .filter(b -> "io.ferry.core".equals(b.getSymbolicName())).findFirst().orElseThrow();
        core.getBundleContext().registerService(Runnable.class, () -> events.add("stopping hook"),
                new Hashtable<>(Map.of("ferry.stopping", "true")));
        core.getBundleContext().registerService(Runnable.class, () -> events.add("another runnable"),
                new Hashtable<>(Map.of("other", "true")));
        new EmbeddedFramework(felix).close();
        assertEquals(List.of("stopping hook", "stopping io.ferry.core", "stopped io.ferry.core",
                "stopping org.apache.felix.scr", "stopped org.apache.felix.scr",
                "stopping io.ferry.driver.qemu", "stopped io.ferry.driver.qemu"), events);
    }

    @Test
    public void withoutACoreTheFrameworkStopsAsItWould() throws Exception {
        install("io.ferry.driver.qemu", "org.apache.felix.scr");
        new EmbeddedFramework(felix).close();
        assertEquals(List.of("stopping org.apache.felix.scr", "stopped org.apache.felix.scr",
                "stopping io.ferry.driver.qemu", "stopped io.ferry.driver.qemu"), events);
    }

    /** Bundles of these names, manifest alone, installed and started in this order, then the framework started. */
    private void install(String... symbolicNames) throws Exception {
        for (String name : symbolicNames) {
            Path file = temp.getRoot().toPath().resolve(name + ".jar");
            bundle(file, name);
            felix.getBundleContext().installBundle(file.toUri().toString()).start();
        }
        felix.start();
    }

    private static void bundle(Path file, String symbolicName) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        new JarOutputStream(Files.newOutputStream(file), manifest).close();
    }
}
