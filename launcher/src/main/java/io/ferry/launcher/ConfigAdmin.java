package io.ferry.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Puts ferryd's configurations into the framework's Config Admin. The launcher sees only the framework's own
 * packages, so it calls the service through the Config Admin bundle's classes, reflectively.
 */
final class ConfigAdmin {
    private static final String SERVICE = "org.osgi.service.cm.ConfigurationAdmin";
    private static final String CONFIGURATION = "org.osgi.service.cm.Configuration";

    private ConfigAdmin() {
    }

    /** Creates or replaces each configuration, bound to any bundle ("?": the components of every bundle see it). */
    static void put(BundleContext context, Map<String, Map<String, Object>> configurations, Duration wait) throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, SERVICE, null);
        tracker.open();
        try {
            Object admin = tracker.waitForService(wait.toMillis());
            if (admin == null) {
                throw new IllegalStateException("Config Admin did not start within " + wait.toSeconds() + " s");
            }
            ServiceReference<Object> reference = tracker.getServiceReference();
            Bundle bundle = reference.getBundle();
            Method getConfiguration = bundle.loadClass(SERVICE).getMethod("getConfiguration", String.class, String.class);
            Method update = bundle.loadClass(CONFIGURATION).getMethod("update", Dictionary.class);
            for (Map.Entry<String, Map<String, Object>> configuration : configurations.entrySet()) {
                Object target = getConfiguration.invoke(admin, configuration.getKey(), "?");
                update.invoke(target, new Hashtable<>(configuration.getValue()));
            }
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            tracker.close();
        }
    }
}
