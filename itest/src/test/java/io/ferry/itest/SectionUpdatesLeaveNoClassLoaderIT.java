package io.ferry.itest;

import static org.junit.Assert.assertEquals;

import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleWiring;

/**
 * A section bundle updated again and again while the daemon runs (FileInstall replaces it each time its jar changes) and
 * its calls fail: each version's class loader must go once the bundle is refreshed, or a daemon that lives for months
 * keeps every version it ever loaded.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SectionUpdatesLeaveNoClassLoaderIT extends FerryTestSupport {
    private static final String PROBE_BSN = "io.ferry.test.section";
    private static final String OTHER_HOST_UUID = "5a1e0c1d-7f3b-4e6a-9d2c-1f00d0000002";
    private static final int UPDATES = 12;

    @Test
    public void theClassLoadersOfReplacedSectionVersionsAreCollected() throws Exception {
        Path work = workDir("updates-");
        ControlClient daemon = new ControlClient((String) startDaemon(work.resolve("state")).getProperty(CONTROL_URL));
        Path jar = reactorJar("testSection").toPath();
        Bundle section = context.installBundle(jar.toUri().toString());
        section.start();
        List<WeakReference<ClassLoader>> replaced = new ArrayList<>();
        for (int i = 1; i <= UPDATES; i++) {
            String version = i + ".0.0";
            Await.until("the probe section listed", daemon::sections, s -> s.containsKey("probe") && s.containsKey("fault"));
            String cookie = daemon.bake("begin", "itest-guest", "c0ffee00-1234-4abc-8def-000000000042");
            // a hostile cookie the fault section refuses as it parses it: a section call that fails
            ControlClient.Reply refused = daemon.check("prepare", OTHER_HOST_UUID,
                    cookie.replaceFirst("<fault [^>]*/>", "<fault/>"));
            assertEquals(refused.body(), 400, refused.status());
            replaced.add(new WeakReference<>(section.adapt(BundleWiring.class).getClassLoader()));
            Path next = BundleJars.withVersion(jar, version, work.resolve("test-section-" + version + ".jar"));
            try (InputStream in = Files.newInputStream(next)) {
                section.update(in);
            }
            refresh(section);
        }
        Await.until("the last version listed", daemon::sections, s -> (PROBE_BSN + " " + UPDATES + ".0.0").equals(s.get("probe")));

        long kept = 0;
        for (int round = 0; round < 20 && (kept = replaced.stream().filter(r -> r.get() != null).count()) > 0; round++) {
            System.gc();
            Thread.sleep(100);
        }
        assertEquals("class loaders of the " + UPDATES + " replaced versions still reachable", 0, kept);
    }
}
