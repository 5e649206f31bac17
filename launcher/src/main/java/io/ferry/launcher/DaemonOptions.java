package io.ferry.launcher;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ferryd}'s command line. Each flag becomes the framework property that overrides the same setting of
 * {@code etc/}.
 */
record DaemonOptions(Map<String, String> properties, Path stateDir, Path deployDir) {

    static final String USAGE = """
            usage: ferryd [--state-dir DIR] [--listen HOST:PORT] [--host-uuid UUID] [--hostname NAME]
                          [--deploy-dir DIR] [--section-timeout SECONDS] [--protocols 2,3]
                          [--confirm-wait SECONDS] [--finish-wait SECONDS]
                          [--lock-manager file|zookeeper|none] [--lease-dir DIR] [--zookeeper HOST:PORT]
                          [--ovsdb unix:PATH] [--progress-timeout SECONDS]
                          [--tls-keystore FILE --tls-truststore FILE --tls-password-file FILE]
                --progress-timeout: a QEMU migration whose transferred bytes do not grow for this long is cancelled
              --tls-*: mutual TLS on the control channel (ferry+tls://): a PKCS12 keystore with this host's key and
                       certificate, a PKCS12 trust store with the CA, a file whose first line is the stores' password
            """;

    private static final Map<String, String> FLAGS = Map.ofEntries(
            Map.entry("--lease-dir", "ferry.lease.dir"),
            Map.entry("--lock-manager", "ferry.lock.manager"),
            Map.entry("--zookeeper", "ferry.zookeeper"),
            Map.entry("--ovsdb", "ferry.ovsdb"),
            Map.entry("--progress-timeout", "ferry.progress.timeout"),
            Map.entry("--state-dir", "ferry.state.dir"),
            Map.entry("--listen", "ferry.listen"),
            Map.entry("--host-uuid", "ferry.host.uuid"),
            Map.entry("--hostname", "ferry.hostname"),
            Map.entry("--deploy-dir", EmbeddedFramework.DEPLOY_DIR),
            Map.entry("--section-timeout", "ferry.section.timeout"),
            Map.entry("--protocols", "ferry.protocols"),
            Map.entry("--confirm-wait", "ferry.migration.confirm.wait"),
            Map.entry("--finish-wait", "ferry.migration.finish.wait"),
            Map.entry("--tls-keystore", "ferry.tls.keystore"),
            Map.entry("--tls-truststore", "ferry.tls.truststore"),
            Map.entry("--tls-password-file", "ferry.tls.password.file"));
    /** Flags naming files: made absolute here, against the directory ferryd was started in. */
    private static final Set<String> FILES = Set.of("ferry.tls.keystore", "ferry.tls.truststore", "ferry.tls.password.file",
            "ferry.lease.dir");

    static DaemonOptions parse(List<String> args, FerryHome home) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            String property = FLAGS.get(arg);
            if (property == null) {
                throw new IllegalArgumentException("unknown option '" + args.get(i) + "'");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException("option " + arg + " needs a value");
                }
                value = args.get(++i);
            }
            properties.put(property, FILES.contains(property) && !value.isBlank() ? Path.of(value).toAbsolutePath().toString() : value);
        }
        Path stateDir = Path.of(properties.getOrDefault("ferry.state.dir", home.defaultStateDir().toString())).toAbsolutePath();
        properties.put("ferry.state.dir", stateDir.toString());
        Path deployDir = Path.of(properties.getOrDefault(EmbeddedFramework.DEPLOY_DIR, home.deploy().toString())).toAbsolutePath();
        properties.put(EmbeddedFramework.DEPLOY_DIR, deployDir.toString());
        return new DaemonOptions(properties, stateDir, deployDir);
    }
}
