package io.ferry.core.daemon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.settings.SettingException;
import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A daemon that fails to start registers why ({@link StartFailure}). Each failed start of a daemon whose configuration
 * is updated again and again added one more registration, kept until the core bundle stopped; one start that
 * succeeded left them all registered. The core bundle's registrations are counted here.
 */
public class StartFailureTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    /** The reasons of the StartFailure services registered and not unregistered. */
    private final List<Object> registered = new CopyOnWriteArrayList<>();
    private final BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                if (method.getName().equals("registerService")) {
                    Object reason = ((Dictionary<?, ?>) args[2]).get(StartFailure.PROPERTY);
                    registered.add(reason);
                    return registration(reason);
                }
                return null;
            });

    @Test
    public void eachFailedStartReplacesTheFailureOfTheOneBefore() {
        for (int start = 0; start < 3; start++) {
            assertThrows(SettingException.class, () -> new Daemon(context, configuration("4")));
        }
        assertThrows(SettingException.class, () -> new Daemon(context, configuration("5")));

        assertEquals(1, registered.size());
        assertEquals("invalid configuration: configuration io.ferry.daemon: protocols '5' names migration protocol 5, "
                + "but Ferry speaks only 2 and 3", registered.get(0));
    }

    @Test
    public void aStartThatSucceedsWithdrawsTheFailureOfTheOneBefore() throws Exception {
        assertThrows(SettingException.class, () -> new Daemon(context, configuration("4")));
        assertEquals(1, registered.size());

        new Daemon(context, configuration("3"));

        assertEquals(List.of(), registered);
    }

    /** Another framework's daemon (another bundle context in this JVM) starting does not withdraw this one's failure. */
    @Test
    public void aStartInAnotherFrameworkLeavesThisOnesFailure() throws Exception {
        assertThrows(SettingException.class, () -> new Daemon(context, configuration("4")));
        BundleContext another = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> null);

        new Daemon(another, configuration("3"));

        assertEquals(1, registered.size());
    }

    private Map<String, Object> configuration(String protocols) {
        Map<String, Object> configuration = new HashMap<>();
        configuration.put("protocols", protocols);
        configuration.put("stateDir", temp.getRoot().toString());
        configuration.put("hostname", "test");
        return configuration;
    }

    private ServiceRegistration<?> registration(Object reason) {
        return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (proxy, method, args) -> {
                    if (method.getName().equals("unregister") && !registered.remove(reason)) {
                        throw new IllegalStateException("unregistered already");
                    }
                    return null;
                });
    }
}
