package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieSection;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A section whose registration went away between its lookup and its call (its bundle stopped, updated or uninstalled
 * meanwhile): the call fails naming the section, and giving back what it never got is no error.
 */
public class ServiceObjectsSourceTest {
    private final List<String> asked = new ArrayList<>();

    /** A bundle context in which the reference is no longer registered: the framework answers null. */
    private BundleContext unregistered() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    asked.add(method.getName());
                    return null;
                });
    }

    @SuppressWarnings("unchecked")
    private static ServiceReference<CookieSection<?>> reference() {
        return (ServiceReference<CookieSection<?>>) Proxy.newProxyInstance(ServiceObjectsSourceTest.class.getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (proxy, method, args) -> null);
    }

    @Test
    public void aSectionNoLongerRegisteredFailsTheCallNamingIt() {
        ServiceObjectsSource source = new ServiceObjectsSource(unregistered(), reference(), "graphics");
        SectionGone gone = assertThrows(SectionGone.class, source::acquire);
        assertEquals("cookie section graphics is no longer registered (its bundle was stopped, updated or uninstalled)",
                gone.getMessage());
    }

    @Test
    public void givingBackASectionWhoseRegistrationWentAwayIsNoError() {
        ServiceObjectsSource source = new ServiceObjectsSource(unregistered(), reference(), "graphics");
        source.release(null);
        assertEquals(List.of("getServiceObjects"), asked);
    }
}
