package io.ferry.core.section;

import io.ferry.api.cookie.CookieSection;
import io.ferry.core.daemon.Daemon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
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
public class SectionRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SectionRegistry.class);

    private final BundleContext context;
    private final Duration timeout;
    private final ExecutorService workers;
    private final Map<ServiceReference<CookieSection<?>>, SectionHandle> handles = new ConcurrentHashMap<>();

    @Activate
    public SectionRegistry(BundleContext context, @Reference Daemon daemon) {
        this.context = context;
        this.timeout = daemon.settings().sectionTimeout();
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "ferry-section-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
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
        } catch (IllegalArgumentException e) {
            LOG.error("ignoring a cookie section: {}", e.getMessage());
        }
    }

    void removeSection(ServiceReference<CookieSection<?>> reference) {
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
     * The sections registered now, one per feature: where two bundles offer the same feature, the one the
     * framework ranks first (higher service ranking, then older registration) wins.
     */
    public SectionSet snapshot() {
        Map<String, Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle>> byFeature = new ConcurrentHashMap<>();
        for (Map.Entry<ServiceReference<CookieSection<?>>, SectionHandle> entry : handles.entrySet()) {
            byFeature.merge(entry.getValue().descriptor().feature(), entry,
                    (a, b) -> a.getKey().compareTo(b.getKey()) >= 0 ? a : b);
        }
        List<SectionHandle> chosen = new ArrayList<>();
        byFeature.values().stream().sorted(Comparator.comparing(e -> e.getValue().descriptor().feature()))
                .forEach(e -> chosen.add(e.getValue()));
        return new SectionSet(chosen);
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
