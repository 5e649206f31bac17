package io.ferry.core.section;

import io.ferry.api.cookie.CookieSection;
import io.ferry.core.daemon.Daemon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.HashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every registered {@link CookieSection} (whiteboard) and hands out immutable snapshots. It keeps
 * service references, never service objects: each call gets and ungets its section through a
 * {@link SectionHandle}, so sections come and go freely while the daemon runs.
 */
@Component(service = SectionRegistry.class)
public class SectionRegistry implements SectionCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(SectionRegistry.class);
    /** Section calls under way at once, over every migration of this daemon. */
    static final int MAX_WORKERS = 64;
    /** The api package whose 1.2 told sections about checks ({@link io.ferry.api.cookie.CheckOnly}). */
    private static final String CHECKED_PACKAGE = "io.ferry.api.cookie";
    private static final Version CHECKS_SINCE = new Version(1, 2, 0);

    private final BundleContext context;
    private final Duration timeout;
    private final SectionWorkers workers;
    private final Map<ServiceReference<CookieSection<?>>, SectionHandle> handles = new ConcurrentHashMap<>();
    /** When each feature that may be mandatory lost its last registration (System.nanoTime), until one comes back. */
    private final Map<String, Long> departures = new ConcurrentHashMap<>();

    @Activate
    public SectionRegistry(BundleContext context, @Reference Daemon daemon) {
        this.context = context;
        this.timeout = daemon.settings().sectionTimeout();
        this.workers = newWorkers();
    }

    /**
     * The daemon's section workers, bounded: sections that hang use up at most this many threads (one section at most
     * {@link SectionHandle#MAX_IN_FLIGHT}, and {@link SectionHandle#MAX_OVERRUNNING} once a call of it outlived its
     * limit); calls beyond it fail at once, naming the section. Counted by feature: a bundle's update takes no more.
     */
    static SectionWorkers newWorkers() {
        AtomicInteger threads = new AtomicInteger();
        return new SectionWorkers(new ThreadPoolExecutor(0, MAX_WORKERS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
            Thread thread = new Thread(task, "ferry-section-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }));
    }

    @Reference(service = CookieSection.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addSection(ServiceReference<CookieSection<?>> reference) {
        String bundle = describe(reference.getBundle());
        try {
            SectionDescriptor descriptor = SectionDescriptor.fromProperties(properties(reference), bundle);
            handles.put(reference, new SectionHandle(descriptor,
                    new ServiceObjectsSource(context, reference, descriptor.feature()), workers, timeout));
            LOG.info("cookie section {} (element <{}>, version {}) added by {}", descriptor.feature(),
                    descriptor.element(), descriptor.version(), bundle);
            // the departure stays for its wait: a Begin that took its sections while this one was away must still
            // learn that it left, and take them again (it finds it back at once)
            warnIfShared(descriptor);
        } catch (IllegalArgumentException e) {
            LOG.error("ignoring a cookie section: {}", e.getMessage());
        }
    }

    /**
     * Two bundles offering one feature, or two features one element, is a deployment mistake more often than a plan:
     * say which one serves.
     */
    private void warnIfShared(SectionDescriptor added) {
        String feature = added.feature();
        List<SectionHandle> offering = handles.values().stream().filter(h -> h.descriptor().feature().equals(feature)).toList();
        SectionSet now = snapshot();
        Optional<SectionHandle> serving = now.byFeature(feature);
        Optional<SectionHandle> owner = now.byElement(added.element());
        if (serving.isEmpty() && owner.isPresent()) {
            LOG.warn("cookie section {} is not served: its element <{}> is served by section {} of {}", feature,
                    added.element(), owner.get().descriptor().feature(), owner.get().descriptor().bundle());
        } else if (serving.isPresent() && offering.size() > 1) {
            LOG.warn("cookie section {} is offered by {} bundles ({}): {} serves it", feature, offering.size(),
                    offering.stream().map(h -> h.descriptor().bundle()).sorted().collect(Collectors.joining(", ")),
                    serving.get().descriptor().bundle());
        }
    }

    void removeSection(ServiceReference<CookieSection<?>> reference) {
        SectionHandle leaving = handles.get(reference);
        // the departure before the handle goes: whoever no longer finds the section sees that it left
        if (leaving != null && leaving.descriptor().mandatory() != io.ferry.api.cookie.Mandatory.NEVER
                && handles.entrySet().stream().noneMatch(e -> !e.getKey().equals(reference)
                        && e.getValue().descriptor().feature().equals(leaving.descriptor().feature()))) {
            departures.put(leaving.descriptor().feature(), System.nanoTime());
        }
        SectionHandle removed = handles.remove(reference);
        if (removed != null) {
            LOG.info("cookie section {} removed ({})", removed.descriptor().feature(), removed.descriptor().bundle());
        }
    }

    void updatedSection(ServiceReference<CookieSection<?>> reference) {
        removeSection(reference);
        addSection(reference);
    }

    /**
     * The sections registered now, one per feature: where two bundles offer the same feature, {@link #PREFERRED}
     * chooses, the same way every time.
     */
    @Override
    public SectionSet get() {
        return snapshot();
    }

    @Override
    public Set<String> departedWithin(long millis) {
        long since = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(millis);
        return departures.entrySet().stream().filter(e -> e.getValue() - since >= 0).map(Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * One section per feature, and one per element: of two features with one element (a plug-in naming the element of
     * a built-in, {@code domain}), the one first registered serves, unless the other has a higher service ranking.
     */
    public SectionSet snapshot() {
        return servingOf(Map.copyOf(handles));
    }

    private static SectionSet servingOf(Map<ServiceReference<CookieSection<?>>, SectionHandle> registered) {
        Map<String, Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>> byFeature = new HashMap<>();
        for (Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle> entry : registered.entrySet()) {
            byFeature.merge(entry.getValue().descriptor().feature(), entry, (a, b) -> PREFERRED.compare(a, b) <= 0 ? a : b);
        }
        Map<String, Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>> byElement = new HashMap<>();
        for (Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle> entry : byFeature.values()) {
            byElement.merge(entry.getValue().descriptor().element(), entry, (a, b) -> FIRST_CLAIM.compare(a, b) <= 0 ? a : b);
        }
        return new SectionSet(byElement.values().stream().map(Map.Entry::getValue).toList());
    }

    /**
     * Every registration, the one that serves its feature first: what {@code ferry sections} lists. Of one moment: a
     * section that comes or goes meanwhile (a hot swap) is listed as it was or not at all, never half.
     */
    public List<Registration> registrations() {
        Map<ServiceReference<CookieSection<?>>, SectionHandle> registered = Map.copyOf(handles);
        SectionSet serving = servingOf(registered);
        return registered.entrySet().stream().sorted(PREFERRED)
                .map(e -> new Registration(e.getValue(), serving.all().contains(e.getValue()), why(e, registered, serving)))
                .sorted(Comparator.comparing((Registration r) -> r.handle().descriptor().feature())
                        .thenComparing(r -> !r.serving()))
                .toList();
    }

    /** One registered section, whether it serves its feature, and why (when another bundle offers it too). */
    public record Registration(SectionHandle handle, boolean serving, String why) {
    }

    /**
     * Which of two registrations of one feature serves: an explicit service ranking first (as the framework ranks
     * services), then the higher section version, then the higher bundle version, then the older registration.
     */
    static final Comparator<Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>> PREFERRED =
            Comparator.<Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>>comparingInt(e -> -ranking(e.getKey()))
                    .thenComparing(e -> e.getValue().descriptor(), SectionDescriptor.NEWER_FIRST)
                    .thenComparing(e -> bundleVersion(e.getKey()), Comparator.reverseOrder())
                    .thenComparingLong(e -> (Long) e.getKey().getProperty(Constants.SERVICE_ID));

    /** Which of two features with one element serves: an explicit service ranking first, then the older registration. */
    private static final Comparator<Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>> FIRST_CLAIM =
            Comparator.<Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>>comparingInt(e -> -ranking(e.getKey()))
                    .thenComparingLong(e -> (Long) e.getKey().getProperty(Constants.SERVICE_ID));

    private static int ranking(ServiceReference<?> reference) {
        return reference.getProperty(Constants.SERVICE_RANKING) instanceof Integer ranking ? ranking : 0;
    }

    private static String why(Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle> entry,
            Map<ServiceReference<CookieSection<?>>, SectionHandle> registered, SectionSet serving) {
        String feature = entry.getValue().descriptor().feature();
        SectionHandle winner = serving.byFeature(feature).orElse(null);
        if (winner == null) {
            return serving.byElement(entry.getValue().descriptor().element()).map(owner -> "its element <"
                    + owner.descriptor().element() + "> is served by section " + owner.descriptor().feature() + " of "
                    + owner.descriptor().bundle()).orElse("");
        }
        if (winner != entry.getValue()) {
            var winning = registered.entrySet().stream().filter(e -> e.getValue() == winner).findFirst().orElseThrow();
            return "outranked by " + winner.descriptor().bundle() + ": " + decidedBy(winning, entry);
        }
        List<String> others = registered.entrySet().stream().filter(e -> e.getValue() != winner
                && e.getValue().descriptor().feature().equals(feature)).map(e -> decidedBy(entry, e)).distinct().toList();
        return others.isEmpty() ? "" : String.join("; ", others);
    }

    /** What made the first of two registrations of one feature serve rather than the second, in words. */
    private static String decidedBy(Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle> winner,
            Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle> loser) {
        if (ranking(winner.getKey()) != ranking(loser.getKey())) {
            return "service ranking " + ranking(winner.getKey()) + " over " + ranking(loser.getKey());
        }
        SectionDescriptor w = winner.getValue().descriptor();
        SectionDescriptor l = loser.getValue().descriptor();
        if (SectionDescriptor.NEWER_FIRST.compare(w, l) != 0) {
            return "section version " + w.version() + " over " + l.version();
        }
        Version wb = bundleVersion(winner.getKey());
        Version lb = bundleVersion(loser.getKey());
        return wb.equals(lb) ? "registered first" : "bundle version " + wb + " over " + lb;
    }

    private static Version bundleVersion(ServiceReference<?> reference) {
        return reference.getBundle() == null ? Version.emptyVersion : reference.getBundle().getVersion();
    }

    /**
     * Why a check ({@code ferry cookie check}) must not eat this section, or null when it may: a section whose bundle
     * was built against {@code io.ferry.api.cookie} before 1.2 cannot know {@link io.ferry.api.cookie.CheckOnly}, so
     * it might act on this host. One whose registration left since the check took the sections is not eaten either.
     */
    public String uncheckable(SectionHandle handle) {
        Optional<ServiceReference<CookieSection<?>>> reference = handles.entrySet().stream().filter(e -> e.getValue() == handle)
                .map(Map.Entry::getKey).findFirst();
        if (reference.isEmpty()) {
            return "its registration left this host while the check ran (its bundle stopped or being updated)";
        }
        Bundle bundle = reference.get().getBundle();
        Version built = bundle == null ? null : ApiImports.floor(bundle, CHECKED_PACKAGE);
        if (built != null && built.compareTo(CHECKS_SINCE) >= 0) {
            return null;
        }
        return "built against " + CHECKED_PACKAGE + " " + (built == null ? "of an unknown version" : built.getMajor() + "." + built.getMinor())
                + ", before " + CHECKS_SINCE.getMajor() + "." + CHECKS_SINCE.getMinor() + ": it cannot know a check from a migration";
    }

    @Deactivate
    void deactivate() {
        workers.shutdownNow();
    }

    private static Map<String, Object> properties(ServiceReference<?> reference) {
        Map<String, Object> properties = new java.util.HashMap<>();
        for (String key : reference.getPropertyKeys()) {
            properties.put(key, reference.getProperty(key));
        }
        return properties;
    }

    static String describe(Bundle bundle) {
        return bundle == null ? "an unregistered bundle" : bundle.getSymbolicName() + " " + bundle.getVersion();
    }
}
