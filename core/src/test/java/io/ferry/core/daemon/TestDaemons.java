package io.ferry.core.daemon;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.osgi.framework.BundleContext;

/** A {@link Daemon} without a framework: its configuration's defaults under a bundle context of a few properties. */
public final class TestDaemons {
    private TestDaemons() {
    }

    /**
     * A bundle context that answers {@code getProperty} (the test host's identity and state directory, then
     * {@code properties}) and {@code getService} ({@code services}), and nothing else.
     */
    public static BundleContext context(Path stateDir, Map<String, String> properties, Function<Object, Object> services) {
        Map<String, String> all = new HashMap<>(Map.of(DaemonSettings.STATE_DIR, stateDir.toString(),
                DaemonSettings.HOSTNAME, "test", DaemonSettings.HOST_UUID, "00000000-0000-4000-8000-0000000000ff"));
        all.putAll(properties);
        return (BundleContext) Proxy.newProxyInstance(TestDaemons.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> all.get((String) args[0]);
                    case "getService" -> services.apply(args[0]);
                    default -> null;
                });
    }

    public static Daemon daemon(BundleContext context) throws IOException {
        DaemonConfig config = (DaemonConfig) Proxy.newProxyInstance(TestDaemons.class.getClassLoader(),
                new Class<?>[] {DaemonConfig.class}, (proxy, method, args) -> method.getDefaultValue());
        return new Daemon(context, config);
    }
}
