package io.ferry.core.cookie;

import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.builtin.CapabilitiesSection;
import io.ferry.core.builtin.PersistentSection;
import io.ferry.core.builtin.StatisticsSection;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionGone;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import io.ferry.plugin.graphics.GraphicsSection;
import io.ferry.plugin.lockstate.LockstateSection;
import io.ferry.plugin.ovs.NetworkSection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Real section instances wired into a {@link SectionSet} without OSGi. {@code @SectionProperties} has CLASS
 * retention, so each section's service properties are written out here by hand; they must mirror the
 * annotations on the section classes exactly.
 */
public final class TestSections {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Shared by every handle built here; daemon threads so a hung test section cannot keep the JVM alive. */
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "test-section-worker");
        thread.setDaemon(true);
        return thread;
    });

    private TestSections() {
    }

    public static ExecutorService workers() {
        return WORKERS;
    }

    /** The core built-ins and the graphics, lockstate and network plug-ins. */
    public static SectionSet all() {
        return of(persistent(), statistics(), capabilities(), graphics(), lockstate(), network());
    }

    public static SectionSet of(SectionHandle... handles) {
        return new SectionSet(new ArrayList<>(Arrays.asList(handles)));
    }

    public static SectionHandle persistent() {
        return handle(new PersistentSection(), "persistent", "domain", Mandatory.NEVER,
                List.of(Phase.PERFORM), List.of(Phase.FINISH));
    }

    public static SectionHandle statistics() {
        return handle(new StatisticsSection(), "statistics", "statistics", Mandatory.NEVER,
                List.of(Phase.PERFORM, Phase.FINISH), List.of(Phase.FINISH, Phase.CONFIRM));
    }

    public static SectionHandle capabilities() {
        return handle(new CapabilitiesSection(), "capabilities", "capabilities", Mandatory.NEVER,
                List.of(Phase.BEGIN, Phase.PREPARE), List.of(Phase.PREPARE, Phase.PERFORM));
    }

    public static SectionHandle graphics() {
        return handle(new GraphicsSection(), "graphics", "graphics", Mandatory.NEVER,
                List.of(Phase.PREPARE), List.of(Phase.PERFORM));
    }

    public static SectionHandle lockstate() {
        return handle(new LockstateSection(), "lockstate", "lockstate", Mandatory.WHEN_BAKED,
                List.of(Phase.BEGIN, Phase.PERFORM), List.of(Phase.PREPARE, Phase.FINISH));
    }

    public static SectionHandle network() {
        return handle(new NetworkSection(), "network", "network", Mandatory.NEVER,
                List.of(Phase.PERFORM), List.of(Phase.FINISH));
    }

    /** A handle over any section, with the properties its annotation would generate. */
    public static SectionHandle handle(CookieSection<?> section, String feature, String element, Mandatory mandatory,
            List<Phase> bakes, List<Phase> eats) {
        return handle(SectionSource.of(section), feature, element, mandatory, bakes, eats, TIMEOUT);
    }

    public static SectionHandle handle(SectionSource source, String feature, String element, Mandatory mandatory,
            List<Phase> bakes, List<Phase> eats, Duration timeout) {
        return handle(source, feature, element, "1.0", mandatory, bakes, eats, timeout);
    }

    /** A handle of a section in a version of its own ({@code MAJOR.MINOR}). */
    public static SectionHandle handle(SectionSource source, String feature, String element, String version,
            Mandatory mandatory, List<Phase> bakes, List<Phase> eats, Duration timeout) {
        Map<String, Object> properties = new HashMap<>();
        properties.put(CookieSection.FEATURE, feature);
        properties.put(CookieSection.ELEMENT, element);
        properties.put(CookieSection.VERSION, version);
        properties.put(CookieSection.MANDATORY, mandatory.name());
        properties.put(CookieSection.BAKES, bakes.stream().map(Phase::name).toArray(String[]::new));
        properties.put(CookieSection.EATS, eats.stream().map(Phase::name).toArray(String[]::new));
        SectionDescriptor descriptor = SectionDescriptor.fromProperties(properties, "test/" + feature + "/0.0.0");
        return new SectionHandle(descriptor, source, WORKERS, timeout);
    }

    /**
     * The registration of {@code served} that its bundle's update takes away once it has served {@code calls} calls (a
     * parse, say): as the framework's, it then never hands out its section. {@code update} runs as it finds itself gone
     * (the new registration's coming).
     */
    public static SectionSource goneAfter(String feature, int calls, SectionSource served, Runnable update) {
        return new SectionSource() {
            private int left = calls;

            @Override
            public CookieSection<Object> acquire() throws SectionGone {
                if (left-- > 0) {
                    return served.acquire();
                }
                update.run();
                throw new SectionGone("cookie section " + feature + " is no longer registered (its bundle was stopped,"
                        + " updated or uninstalled)");
            }

            @Override
            public void release(CookieSection<Object> section) {
            }
        };
    }

    /** {@link #goneAfter(String, int, SectionSource, Runnable)} with no new registration coming. */
    public static SectionSource goneAfter(String feature, int calls, SectionSource served) {
        return goneAfter(feature, calls, served, () -> { });
    }

    public static CookieCodec codec() {
        return new CookieCodec(new HardenedXmlParser());
    }
}
