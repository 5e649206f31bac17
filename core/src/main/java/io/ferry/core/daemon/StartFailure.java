package io.ferry.core.daemon;

import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;

/**
 * Why this daemon cannot start, told to whoever started it: a service whose property {@value #PROPERTY} is one
 * line naming the problem. ferryd waits for the control channel or for this, then exits with the line; a failed
 * start is not a daemon that keeps running without a control channel.
 */
public final class StartFailure {
    /** Service property: the one-line reason. */
    public static final String PROPERTY = "ferry.start.failure";

    private StartFailure() {
    }

    /** Registers the failure; it stays until the core bundle stops. */
    public static void report(BundleContext context, String reason) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(PROPERTY, reason);
        context.registerService(StartFailure.class, new StartFailure(), properties);
    }
}
