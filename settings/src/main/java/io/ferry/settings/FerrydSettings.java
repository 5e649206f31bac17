package io.ferry.settings;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Every setting ferryd knows, in one table: ferryd puts its flags into the configuration each names (over what
 * {@code etc/PID.cfg} says, over the default), checks them all before the framework boots, and the core reads
 * the daemon's through the same checks. A new setting is one line here.
 */
public final class FerrydSettings {
    /** The daemon's configuration, {@code etc/io.ferry.daemon.cfg}. */
    public static final String DAEMON = "io.ferry.daemon";
    public static final String LOCKSTATE = "io.ferry.plugin.lockstate";
    public static final String OVS = "io.ferry.plugin.ovs";
    public static final String ZOOKEEPER = "io.ferry.lock.zookeeper";
    public static final String QEMU = "io.ferry.driver.qemu";
    /** Not a configuration: a framework property, for what the framework itself needs. */
    public static final String FRAMEWORK = "framework";

    private static final List<Setting<?>> TABLE = new ArrayList<>();

    public static final Setting<Path> STATE_DIR = add(DAEMON, "stateDir", "--state-dir", "DIR", "var", Checks.PATH,
            "domain definitions, status and migration journals");
    public static final Setting<Path> RUN_DIR = add(DAEMON, "runDir", "--run-dir", "DIR", "", Checks.PATH,
            "what each running VM keeps (its memory, its monitor's socket), this daemon's alone; unset: STATE_DIR/run");
    public static final Setting<InetSocketAddress> LISTEN = add(DAEMON, "listen", "--listen", "HOST:PORT", "127.0.0.1:16570",
            Checks.LISTEN, "the control channel's address (port 0: any free port)");
    public static final Setting<UUID> HOST_UUID = add(DAEMON, "hostUuid", "--host-uuid", "UUID", "", Checks.UUID,
            "this host's UUID, kept in the state directory (one in use refuses another); unset: made once");
    public static final Setting<String> HOSTNAME = add(DAEMON, "hostname", "--hostname", "NAME", "", Checks.TEXT,
            "this host's name in cookies; unset: the machine's host name");
    public static final Setting<Path> DEPLOY_DIR = add(FRAMEWORK, "ferry.deploy.dir", "--deploy-dir", "DIR", "deploy",
            Checks.PATH, "the hot-deployment directory FileInstall watches");
    public static final Setting<Set<Integer>> PROTOCOLS = add(DAEMON, "protocols", "--protocols", "2,3", "2,3",
            Checks.PROTOCOLS, "the migration protocols spoken (2 imitates an old peer)");
    /** A day at most: a side stream's writer gets ten times it, which must still fit in a long of nanoseconds. */
    public static final Setting<Duration> SECTION_TIMEOUT = add(DAEMON, "sectionTimeout", "--section-timeout", "SECONDS", "30",
            Checks.seconds(1, 86_400), "the longest a cookie section's call may take (a side stream's: ten times it)");
    public static final Setting<Duration> CONFIRM_WAIT = add(DAEMON, "confirmWait", "--confirm-wait", "SECONDS", "60",
            Checks.seconds(0), "a source's wait after Perform for Confirm, then it asks the destination");
    public static final Setting<Duration> FINISH_WAIT = add(DAEMON, "finishWait", "--finish-wait", "SECONDS", "120",
            Checks.seconds(0), "a destination's wait for Finish after the memory stream, then it drops the VM");
    public static final Setting<Duration> HOOK_TIMEOUT = add(DAEMON, "hookTimeout", "--hook-timeout", "SECONDS", "60",
            Checks.seconds(1), "the longest the hook script (etc/hooks/ferry) may run");
    public static final Setting<String> LOCK_MANAGER = add(DAEMON, "lockManager", "--lock-manager", "file|zookeeper|none", "file",
            Checks.oneOf("file", "zookeeper", "none"), "the lock manager guarding disk leases");
    public static final Setting<Path> LEASE_DIR = add(LOCKSTATE, "leaseDir", "--lease-dir", "DIR", "", Checks.PATH,
            "the file lock manager's leases, shared by all hosts");
    public static final Setting<String> ZOOKEEPER_CONNECT = add(ZOOKEEPER, "connect", "--zookeeper", "HOST:PORT", "", Checks.TEXT,
            "the ZooKeeper ensemble of the zookeeper lock manager");
    public static final Setting<Path> ZOOKEEPER_AUTH_FILE = add(ZOOKEEPER, "authFile", "--zookeeper-auth-file", "FILE", "",
            Checks.PATH, "the zookeeper lock manager's credentials, user:password, the same on every host (a file only "
            + "ferryd's user may read); unset: any client of the ensemble can take or free leases");
    public static final Setting<String> OVSDB = add(OVS, "ovsdb", "--ovsdb", "unix:PATH", "", Checks.TEXT,
            "this host's Open vSwitch database");
    public static final Setting<Duration> PROGRESS_TIMEOUT = add(QEMU, "progressTimeoutSeconds", "--progress-timeout", "SECONDS",
            "30", Checks.seconds(1), "a QEMU migration whose transferred bytes do not grow this long is cancelled");
    public static final Setting<List<Path>> SHARED_PATHS = add(QEMU, "sharedPaths", "--shared-path", "DIR", "",
            Checks.ABSOLUTE_PATHS, "a directory whose files count as shared storage whatever their file system (a live "
            + "migration with a writable disk on a file system not known to be shared needs --unsafe)");
    public static final Setting<String> QEMU_USER = add(QEMU, "user", "--qemu-user", "NAME", "", Checks.TEXT,
            "the user QEMU drops to once started (libvirt's qemu.conf user): ferryd must run as root, with a --run-dir "
            + "that user can reach");
    public static final Setting<Path> TLS_KEYSTORE = add(DAEMON, "tlsKeystore", "--tls-keystore", "FILE", "", Checks.PATH,
            "mutual TLS (ferry+tls://): PKCS12 keystore, this host's key and certificate");
    public static final Setting<Path> TLS_TRUSTSTORE = add(DAEMON, "tlsTruststore", "--tls-truststore", "FILE", "", Checks.PATH,
            "mutual TLS: PKCS12 trust store with the CA of peers and clients");
    public static final Setting<Path> TLS_PASSWORD_FILE = add(DAEMON, "tlsPasswordFile", "--tls-password-file", "FILE", "",
            Checks.PATH, "mutual TLS: a file whose first line is the password of both stores");
    public static final Setting<Boolean> INSECURE_TCP = add(DAEMON, "insecureTcp", "--insecure-tcp", null, "false", Checks.BOOLEAN,
            "serve plain TCP (no TLS) on an address off loopback: anyone who reaches it may drive this daemon");
    public static final Setting<List<SubjectPattern>> TLS_ALLOW_OPERATORS = add(DAEMON, "tlsAllowOperators", "--tls-allow-operator",
            "PATTERN", "", Checks.SUBJECT_PATTERNS, "mutual TLS: certificate subjects (RFC 4514, * wildcards) that may do everything");
    public static final Setting<List<SubjectPattern>> TLS_ALLOW_PEERS = add(DAEMON, "tlsAllowPeers", "--tls-allow-peer", "PATTERN", "",
            Checks.SUBJECT_PATTERNS, "mutual TLS: certificate subjects of peer daemons, which may only take part in migrations");
    public static final Setting<Integer> COOKIE_MAX_BYTES = add(DAEMON, "cookieMaxBytes", null, null, "4194304", Checks.atLeast(1),
            "the largest accepted cookie or message, in bytes (libvirt's RPC cap)");
    public static final Setting<Integer> COOKIE_MAX_DEPTH = add(DAEMON, "cookieMaxDepth", null, null, "64", Checks.atLeast(1),
            "the deepest accepted element nesting in a cookie or message");

    private FerrydSettings() {
    }

    private static <T> Setting<T> add(String pid, String key, String flag, String valueName, String defaultValue,
            Setting.Check<T> check, String help) {
        Setting<T> setting = new Setting<>(pid, key, flag, valueName, defaultValue, check, help);
        TABLE.add(setting);
        return setting;
    }

    /** The run directory of {@code daemon}'s settings ({@value #DAEMON}): {@link #RUN_DIR}, else the state directory's {@code run/}. */
    public static Path runDir(SettingValues daemon, Path home) {
        Path runDir = daemon.path(RUN_DIR, home);
        return runDir != null ? runDir : daemon.path(STATE_DIR, home).resolve("run");
    }

    /** Every setting, in the order of {@code ferryd --help}. */
    public static List<Setting<?>> all() {
        return Collections.unmodifiableList(TABLE);
    }

    /** The configurations (PIDs) that ferryd sets at start; not {@link #FRAMEWORK}. */
    public static Set<String> configurations() {
        Set<String> pids = new LinkedHashSet<>();
        TABLE.stream().map(Setting::pid).filter(pid -> !pid.equals(FRAMEWORK)).forEach(pids::add);
        return pids;
    }

    /**
     * Resolves and checks the settings of {@code pid}.
     *
     * @param layers highest first
     * @throws SettingException naming the first setting at fault
     */
    public static SettingValues resolve(String pid, List<Layer> layers) {
        SettingValues values = SettingValues.resolve(TABLE.stream().filter(s -> s.pid().equals(pid)).toList(), layers);
        if (pid.equals(DAEMON)) {
            requireAllOrNoTlsFiles(values);
            requireTlsOffLoopback(values);
        }
        return values;
    }

    /** As libvirt: plain TCP serves loopback only, unless the operator says otherwise. */
    private static void requireTlsOffLoopback(SettingValues values) {
        InetSocketAddress listen = values.get(LISTEN);
        if (values.get(TLS_KEYSTORE) == null && !listen.getAddress().isLoopbackAddress() && !values.get(INSECURE_TCP)) {
            throw new SettingException("plain TCP serves loopback only: listening on " + listen.getHostString() + ":" + listen.getPort()
                    + " needs TLS (--tls-keystore, --tls-truststore, --tls-password-file), or --insecure-tcp (insecureTcp) to let "
                    + "anyone who reaches it drive this daemon");
        }
    }

    private static void requireAllOrNoTlsFiles(SettingValues values) {
        Path keystore = values.get(TLS_KEYSTORE);
        Path truststore = values.get(TLS_TRUSTSTORE);
        Path password = values.get(TLS_PASSWORD_FILE);
        List<String> missing = new ArrayList<>();
        List<String> given = new ArrayList<>();
        tlsFile("keystore", "--tls-keystore", "tlsKeystore", keystore, missing, given);
        tlsFile("trust store", "--tls-truststore", "tlsTruststore", truststore, missing, given);
        tlsFile("password file", "--tls-password-file", "tlsPasswordFile", password, missing, given);
        if (!given.isEmpty() && !missing.isEmpty()) { // "trust store null" said which was missing only to a Java reader
            throw new SettingException("TLS needs a keystore, a trust store and a password file (tlsKeystore, "
                    + "tlsTruststore, tlsPasswordFile; ferryd --tls-keystore, --tls-truststore, --tls-password-file); "
                    + "missing: " + String.join(", ", missing) + "; given: " + String.join(", ", given));
        }
    }

    private static void tlsFile(String what, String flag, String key, Path file, List<String> missing, List<String> given) {
        if (file == null) {
            missing.add("the " + what + " (" + flag + ", " + key + ")");
        } else {
            given.add(what + " " + file);
        }
    }
}
