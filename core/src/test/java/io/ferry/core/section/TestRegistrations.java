package io.ferry.core.section;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** Section registrations without a framework: what the registry's whiteboard would be told, for tests elsewhere too. */
public final class TestRegistrations {
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private TestRegistrations() {
    }

    /** The framework registered {@code reference}'s section. */
    public static void add(SectionRegistry registry, ServiceReference<CookieSection<?>> reference) {
        registry.addSection(reference);
    }

    /** The framework unregistered it (its bundle stopped, updated or uninstalled). */
    public static void remove(SectionRegistry registry, ServiceReference<CookieSection<?>> reference) {
        registry.removeSection(reference);
    }

    /**
     * A service registration of a section of no bundle, with these properties and {@code more}; asked for its bundle,
     * it runs {@code bundleAsked} first.
     */
    @SuppressWarnings("unchecked")
    public static ServiceReference<CookieSection<?>> reference(String feature, String element, Mandatory mandatory,
            Map<String, Object> more, Runnable bundleAsked) {
        Map<String, Object> properties = new HashMap<>(more);
        properties.putAll(Map.of(CookieSection.FEATURE, feature, CookieSection.ELEMENT, element,
                CookieSection.MANDATORY, mandatory.name(), Constants.SERVICE_ID, NEXT_ID.incrementAndGet()));
        return (ServiceReference<CookieSection<?>>) Proxy.newProxyInstance(TestRegistrations.class.getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getPropertyKeys" -> properties.keySet().toArray(String[]::new);
                    case "getProperty" -> properties.get((String) args[0]);
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> "reference to " + feature;
                    case "getBundle" -> {
                        bundleAsked.run();
                        yield null;
                    }
                    case "compareTo" -> Integer.compare(System.identityHashCode(proxy), System.identityHashCode(args[0]));
                    default -> null;
                });
    }
}
