package io.ferry.core.section;

import io.ferry.api.cookie.CookieSection;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceObjects;
import org.osgi.framework.ServiceReference;

/** Gets a registered section for the length of one call, so an update or uninstall is never blocked by Ferry. */
final class ServiceObjectsSource implements SectionSource {
    private final BundleContext context;
    private final ServiceReference<CookieSection<?>> reference;
    private final String feature;

    ServiceObjectsSource(BundleContext context, ServiceReference<CookieSection<?>> reference, String feature) {
        this.context = context;
        this.reference = reference;
        this.feature = feature;
    }

    @Override
    @SuppressWarnings("unchecked")
    public CookieSection<Object> acquire() throws SectionGone {
        ServiceObjects<CookieSection<?>> objects = context.getServiceObjects(reference);
        CookieSection<?> section = objects == null ? null : objects.getService();
        if (section == null) {
            throw new SectionGone("cookie section " + feature + " is no longer registered (its bundle was stopped, updated or"
                    + " uninstalled)");
        }
        return (CookieSection<Object>) section;
    }

    @Override
    public void release(CookieSection<Object> section) {
        ServiceObjects<CookieSection<?>> objects = context.getServiceObjects(reference);
        if (objects == null) {
            return; // unregistered meanwhile: the framework has released it already
        }
        try {
            objects.ungetService(section);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the registration went away between the two calls: nothing left to release
        }
    }
}
