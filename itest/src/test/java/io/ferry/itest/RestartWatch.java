package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.SynchronousBundleListener;

/**
 * Proves that nothing restarted while a test changed bundles: the system bundle keeps its start, a marker service
 * registered at the start is still the same object, and no bundle but the ones the test swaps stopped or was
 * unresolved (refreshed).
 */
final class RestartWatch implements SynchronousBundleListener, AutoCloseable {
    private static final String MARKER = "ferry.itest.marker";

    private final BundleContext context;
    private final Set<String> swapped;
    private final long systemLastModified;
    private final String markerId = UUID.randomUUID().toString();
    private final ServiceRegistration<RestartWatch> registration;
    private final List<String> stops = new ArrayList<>();

    private RestartWatch(BundleContext context, Set<String> swapped) {
        this.context = context;
        this.swapped = swapped;
        this.systemLastModified = context.getBundle(Constants.SYSTEM_BUNDLE_ID).getLastModified();
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(MARKER, markerId);
        this.registration = context.registerService(RestartWatch.class, this, properties);
        context.addBundleListener(this);
    }

    /** @param swapped symbolic names of the bundles the test itself stops, updates or removes */
    static RestartWatch start(BundleContext context, String... swapped) {
        return new RestartWatch(context, Set.of(swapped));
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle bundle = event.getBundle();
        if ((event.getType() == BundleEvent.STOPPED || event.getType() == BundleEvent.UNRESOLVED)
                && !swapped.contains(bundle.getSymbolicName())) {
            synchronized (stops) {
                stops.add(bundle.getSymbolicName() + (event.getType() == BundleEvent.STOPPED ? " stopped" : " unresolved"));
            }
        }
    }

    void assertNoRestart() throws Exception {
        Bundle system = context.getBundle(Constants.SYSTEM_BUNDLE_ID);
        assertEquals("system bundle state", Bundle.ACTIVE, system.getState());
        assertEquals("system bundle start (last modified)", systemLastModified, system.getLastModified());
        Collection<ServiceReference<RestartWatch>> markers =
                context.getServiceReferences(RestartWatch.class, "(" + MARKER + "=" + markerId + ")");
        assertEquals("marker service registrations", 1, markers.size());
        ServiceReference<RestartWatch> marker = markers.iterator().next();
        try {
            assertSame("marker service", this, context.getService(marker));
        } finally {
            context.ungetService(marker);
        }
        synchronized (stops) {
            assertTrue("bundles that went down meanwhile: " + stops, stops.isEmpty());
        }
    }

    @Override
    public void close() {
        context.removeBundleListener(this);
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // the framework is already going down
        }
    }
}
