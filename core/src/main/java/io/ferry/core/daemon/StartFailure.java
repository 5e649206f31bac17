package io.ferry.core.daemon;

import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Why this daemon cannot start, told to whoever started it: a service whose property {@value #PROPERTY} is one
 * line naming the problem. ferryd waits for the control channel or for this, then exits with the line; a failed
 * start is not a daemon that keeps running without a control channel.
 * <p>
 * One at a time: a daemon whose configuration is updated again and again, failing each time, registered one more per
 * failed start until the core bundle stopped. The next failure replaces it, and the next start that succeeds
 * withdraws it.
 */
public final class StartFailure {
    /** Service property: the one-line reason. */
    public static final String PROPERTY = "ferry.start.failure";

    /** The failure registered last, and the bundle context it was registered with. */
    private static Reported current;

    private StartFailure() {
    }

    /** Registers the failure in place of the one before; it stays until the next start or the core bundle stops. */
    public static void report(BundleContext context, String reason) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(PROPERTY, reason);
        ServiceRegistration<StartFailure> registration = context.registerService(StartFailure.class, new StartFailure(),
                properties);
        Reported earlier;
        synchronized (StartFailure.class) {
            earlier = current;
            current = new Reported(context, registration);
        }
        if (earlier != null && earlier.context() == context) { // one of another context went with its bundle
            unregister(earlier.registration());
        }
    }

    /** A start succeeded: the failure of an earlier one, if any, is no longer why the daemon does not start. */
    public static void withdraw(BundleContext context) {
        Reported earlier;
        synchronized (StartFailure.class) {
            earlier = current;
            if (earlier == null || earlier.context() != context) {
                return;
            }
            current = null;
        }
        unregister(earlier.registration());
    }

    private static void unregister(ServiceRegistration<?> registration) {
        if (registration == null) {
            return;
        }
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // unregistered already: the bundle stopped meanwhile, which took its services with it
        }
    }

    private record Reported(BundleContext context, ServiceRegistration<?> registration) {
    }
}
