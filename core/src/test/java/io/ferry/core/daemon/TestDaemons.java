package io.ferry.core.daemon;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import org.osgi.framework.BundleContext;

/** A {@link Daemon} without a framework: its settings' defaults, with the state in a directory of the test's. */
public final class TestDaemons {
    private TestDaemons() {
    }

    public static Daemon at(Path stateDir) throws IOException {
        Map<String, String> properties = Map.of(DaemonSettings.STATE_DIR, stateDir.toString(),
                DaemonSettings.HOSTNAME, "test", DaemonSettings.HOST_UUID, "00000000-0000-4000-8000-0000000000ff");
        return new Daemon(context(properties), (DaemonConfig) Proxy.newProxyInstance(TestDaemons.class.getClassLoader(),
                new Class<?>[] {DaemonConfig.class}, (proxy, method, args) -> method.getDefaultValue()));
    }

    /** A bundle context that only answers {@code getProperty}, from {@code properties}. */
    public static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(TestDaemons.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> method.getName().equals("getProperty") ? properties.get((String) args[0]) : null);
    }
}
