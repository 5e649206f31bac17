package io.ferry.core.daemon;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import org.osgi.framework.BundleContext;

/** A test host's daemon without a framework: the settings' defaults, the test's identity and state directory. */
public final class TestDaemons {
    private static final Map<String, Object> IDENTITY = Map.of("hostname", "test", "hostUuid", "00000000-0000-4000-8000-0000000000ff");

    private TestDaemons() {
    }

    public static DaemonSettings settings(Path stateDir) throws IOException {
        return DaemonSettings.resolve(configuration(stateDir), null);
    }

    /** As {@link #settings}, the host UUID the state directory keeps ({@code host-uuid}) instead of the test's. */
    public static DaemonSettings settingsOfTheStateDirectorysHost(Path stateDir) throws IOException {
        Map<String, Object> configuration = configuration(stateDir);
        configuration.remove("hostUuid");
        return DaemonSettings.resolve(configuration, null);
    }

    /** A {@link Daemon} with its state in {@code stateDir}. */
    public static Daemon at(Path stateDir) throws IOException {
        return at(stateDir, Map.of());
    }

    /** As {@link #at(Path)}, with {@code settings} in the place of the test's. */
    public static Daemon at(Path stateDir, Map<String, Object> settings) throws IOException {
        Map<String, Object> configuration = configuration(stateDir);
        configuration.putAll(settings);
        return new Daemon(context(Map.of()), configuration);
    }

    /** A bundle context that only answers {@code getProperty}, from {@code properties}. */
    public static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(TestDaemons.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> method.getName().equals("getProperty") ? properties.get((String) args[0]) : null);
    }

    private static Map<String, Object> configuration(Path stateDir) {
        Map<String, Object> configuration = new java.util.HashMap<>(IDENTITY);
        configuration.put("stateDir", stateDir.toString());
        return configuration;
    }
}
