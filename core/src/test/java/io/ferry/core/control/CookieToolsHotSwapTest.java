package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.TestDirectories;
import io.ferry.core.cookie.TextSection;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.TestDaemons;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.SectionRegistry;
import io.ferry.core.section.TestRegistrations;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.protocol.Operation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceObjects;
import org.osgi.framework.ServiceReference;

/**
 * The cookie tools while an operator updates a section bundle (a jar copied over the old one in deploy/): a bake, a
 * round trip or a check that took the sections just before the old registration went runs with the new one, as a
 * migration's phases do; each failed saying the section was no longer registered.
 */
public class CookieToolsHotSwapTest {
    private static final Map<String, Object> BAKES_AT_BEGIN = Map.of(CookieSection.BAKES, new String[] {"BEGIN"},
            CookieSection.EATS, new String[] {"PREPARE"});

    private final ServiceReference<CookieSection<?>> before = TestRegistrations.reference("probe", "probe",
            Mandatory.WHEN_BAKED, BAKES_AT_BEGIN, () -> { });
    private final ServiceReference<CookieSection<?>> after = TestRegistrations.reference("probe", "probe",
            Mandatory.WHEN_BAKED, BAKES_AT_BEGIN, () -> { });
    private final AtomicInteger updates = new AtomicInteger();
    private SectionRegistry registry;

    /** The framework: the first registration's bundle is updated as its section is asked for; the second answers. */
    private final BundleContext framework = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                if (!method.getName().equals("getServiceObjects")) {
                    return null;
                }
                if (args[0] == before) {
                    updates.incrementAndGet();
                    TestRegistrations.remove(registry, before);
                    TestRegistrations.add(registry, after);
                    return null;
                }
                return args[0] == after ? serviceObjects(new Probe("2.0.0")) : null;
            });

    private static final String COOKIE = "<qemu-migration><name>hotswap-vm</name>"
            + "<uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid><hostname>src</hostname>"
            + "<hostuuid>2c5f39cb-3fa2-11d2-883f-0016d3cca428</hostuuid><feature name='probe'/><probe>1.0.0</probe>"
            + "</qemu-migration>";

    /** What the daemon's cookie tool answers to {@code tool} with {@code query} and {@code body}. */
    private String tool(String tool, Map<String, String> query, String body) throws Exception {
        Daemon daemon = TestDaemons.at(TestDirectories.create("cookie-tools-hot-swap"), Map.of("lockManager", "none"));
        registry = new SectionRegistry(framework, daemon);
        TestRegistrations.add(registry, before);
        RouteTable routes = new RouteTable();
        new CookieToolsResource(daemon, registry, new DomainManager(daemon.settings(), new SnapshotFiles(daemon))).addTo(routes);
        Call call = new Call(Operation.COOKIE_TOOL, Caller.operator("test"), List.of(tool), query, null);
        call.body(body.getBytes(StandardCharsets.UTF_8));
        String answer = routes.route(Operation.COOKIE_TOOL).handler().handle(call).xml();
        assertEquals("the update came between the tool's taking its sections and the probe's first call", 1, updates.get());
        return answer;
    }

    @Test
    public void aSectionUpdatedWhileItsCookieIsBakedIsBakedByItsNewRegistration() throws Exception {
        String cookie = tool("bake", Map.of("phase", "begin", "name", "hotswap-vm", "uuid",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca427"), "");

        assertTrue(cookie, cookie.contains("<feature name='probe'/>"));
        assertTrue(cookie, cookie.contains("<probe>2.0.0</probe>"));
    }

    @Test
    public void aSectionUpdatedWhileACookieRoundTripsIsParsedAndFormattedByItsNewRegistration() throws Exception {
        String cookie = tool("roundtrip", Map.of(), COOKIE);

        assertTrue(cookie, cookie.contains("<probe>1.0.0</probe>"));
    }

    @Test
    public void aSectionUpdatedWhileACookieIsCheckedIsCheckedByItsNewRegistration() throws Exception {
        String report = tool("check", Map.of("phase", "prepare", "report", "sections"), COOKIE);

        // parsed: the report lists the probe (a test registration names no api version, so it is not eaten in a check)
        assertTrue(report, report.startsWith("<accepted phase='prepare' sections=''>"));
        assertTrue(report, report.contains(" name='probe' "));
    }

    private static final class Probe extends TextSection {
        private final String version;

        Probe(String version) {
            this.version = version;
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.of(version);
        }

        @Override
        public void eat(SectionContext context, String value) {
        }
    }

    @SuppressWarnings("unchecked")
    private static ServiceObjects<CookieSection<?>> serviceObjects(CookieSection<?> section) {
        return (ServiceObjects<CookieSection<?>>) Proxy.newProxyInstance(CookieToolsHotSwapTest.class.getClassLoader(),
                new Class<?>[] {ServiceObjects.class},
                (proxy, method, args) -> method.getName().equals("getService") ? section : null);
    }
}
