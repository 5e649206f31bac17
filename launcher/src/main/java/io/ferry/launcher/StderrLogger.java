package io.ferry.launcher;

import org.apache.felix.framework.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/** The framework's own messages go to stderr, so that they never mix into a command's output. */
final class StderrLogger extends Logger {
    @Override
    @SuppressWarnings("rawtypes")
    protected void doLog(Bundle bundle, ServiceReference sr, int level, String msg, Throwable throwable) {
        String prefix = switch (level) {
            case LOG_ERROR -> "ERROR";
            case LOG_WARNING -> "WARN";
            case LOG_INFO -> "INFO";
            default -> "DEBUG";
        };
        String where = bundle == null ? "" : " [" + bundle.getSymbolicName() + "]";
        System.err.println("felix " + prefix + where + ": " + msg + (throwable == null ? "" : " (" + throwable + ")"));
    }
}
