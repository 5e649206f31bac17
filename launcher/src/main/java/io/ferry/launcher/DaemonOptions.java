package io.ferry.launcher;

import io.ferry.settings.FerrydSettings;
import io.ferry.settings.Layer;
import io.ferry.settings.Setting;
import io.ferry.settings.SettingException;
import io.ferry.settings.SettingValues;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What ferryd hands the framework, from its command line and {@code etc/}: for each configuration of
 * {@link FerrydSettings}, the file {@code etc/PID.cfg} with the flags laid over it, every setting checked; and the
 * framework properties the framework itself needs. ferryd alone reads these files (FileInstall skips them), so
 * what was checked is what the daemon and the plug-ins get.
 *
 * @param configurations by PID, as Config Admin takes them
 * @param leaseDir the file lock manager's lease directory; null when another lock manager (or none) guards the leases
 * @param qemuUser the user QEMU drops to ({@link FerrydSettings#QEMU_USER}); null: it stays ferryd's
 */
record DaemonOptions(Map<String, String> frameworkProperties, Map<String, Map<String, Object>> configurations, Path stateDir,
        Path runDir, Path deployDir, Path leaseDir, String qemuUser) {

    /** The file lock manager's lease directory when its setting is unset (FileLockManager's default). */
    private static final String DEFAULT_LEASE_DIR = "var/leases";

    /** A command line ferryd cannot read: an unknown option, a missing value. */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /**
     * @throws UsageException for an unknown option or a missing value
     * @throws SettingException for a value that fails its check, naming the flag or the file and key
     */
    static DaemonOptions parse(List<String> args, FerryHome home) {
        Map<Setting<?>, String> flags = flags(args);
        Layer commandLine = Layer.flags(flags);
        requireNoFactoryFiles(home);
        Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();
        SettingValues daemon = null;
        String qemuUser = null;
        Path leaseDir = null;
        for (String pid : FerrydSettings.configurations()) {
            String origin = "etc/" + pid + ".cfg";
            Map<String, String> file = read(home.etc().resolve(pid + ".cfg"), origin);
            if (pid.equals(FerrydSettings.DAEMON)) {
                requireKnownKeys(origin, file.keySet());
            }
            SettingValues values = FerrydSettings.resolve(pid, List.of(commandLine, Layer.configuration(pid, origin, file)));
            Map<String, Object> properties = new LinkedHashMap<>(file);
            flags.forEach((setting, text) -> {
                if (setting.pid().equals(pid)) {
                    properties.put(setting.key(), text);
                }
            });
            if (pid.equals(FerrydSettings.DAEMON)) {
                daemon = values;
            } else if (pid.equals(FerrydSettings.QEMU)) {
                qemuUser = values.get(FerrydSettings.QEMU_USER);
            } else if (pid.equals(FerrydSettings.LOCKSTATE)) {
                leaseDir = values.path(FerrydSettings.LEASE_DIR, home.root());
            }
            // every one, even empty: Felix SCR ignores all the configurations of a component with several PIDs
            // (the QEMU driver's: its own and the OVS one) as long as one of them does not exist
            configurations.put(pid, properties);
        }
        SettingValues framework = FerrydSettings.resolve(FerrydSettings.FRAMEWORK, List.of(commandLine));
        Path deployDir = framework.path(FerrydSettings.DEPLOY_DIR, home.root());
        boolean fileLeases = daemon.get(FerrydSettings.LOCK_MANAGER).equals("file");
        return new DaemonOptions(Map.of(FerrydSettings.DEPLOY_DIR.key(), deployDir.toString()), configurations,
                daemon.path(FerrydSettings.STATE_DIR, home.root()), FerrydSettings.runDir(daemon, home.root()),
                deployDir, !fileLeases ? null : leaseDir != null ? leaseDir : home.root().resolve(DEFAULT_LEASE_DIR),
                qemuUser);
    }

    /**
     * The directories ferryd needs on their own file systems, if they have one, before it starts (a systemd unit's
     * {@code RequiresMountsFor=}): a lease directory on a share not mounted yet would be refused, and a state or run
     * directory taken for empty. Each also where its links lead, since systemd follows none: a lease directory that
     * is a link onto a share would wait for nothing.
     */
    List<Path> mountedDirectories() {
        return Stream.of(stateDir, runDir, leaseDir).filter(d -> d != null).flatMap(d -> Stream.of(d, realPath(d)))
                .distinct().toList();
    }

    /** {@code directory} with the links on its way resolved, as far as it is there (one not made yet, below it). */
    static Path realPath(Path directory) {
        Path normal = directory.toAbsolutePath().normalize();
        for (Path there = normal; there != null; there = there.getParent()) {
            try {
                return there.toRealPath().resolve(there.relativize(normal));
            } catch (IOException e) {
                // not there (yet), or not to be read: where the links above it lead
            }
        }
        return normal;
    }

    /** {@code ferryd --help}, from the table of settings. */
    static String usage() {
        StringBuilder usage = new StringBuilder("""
                usage: ferryd [OPTION]...
                Runs this host's Ferry daemon. Each option overrides the setting in brackets (a key of etc/io.ferry.daemon.cfg,
                or of another file of etc/), which overrides the default. Paths given here are relative to the working
                directory, those in etc/ to the installation.
                """);
        for (Setting<?> setting : FerrydSettings.all()) {
            if (setting.flag() == null) {
                continue;
            }
            String where = setting.pid().equals(FerrydSettings.DAEMON) ? setting.key()
                    : setting.pid().equals(FerrydSettings.FRAMEWORK) ? "default: " + setting.defaultValue()
                    : setting.pid() + ".cfg " + setting.key();
            String defaultValue = setting.defaultValue().isEmpty() || !setting.pid().equals(FerrydSettings.DAEMON) ? ""
                    : " = " + setting.defaultValue();
            usage.append(String.format("  %-36s [%s%s]%n      %s%n", setting.flag() + (setting.isSwitch() ? "" : " " + setting.valueName())
                    + (setting.isRepeatable() ? " ..." : ""), where, defaultValue, setting.help()));
        }
        return usage.append("""
                Give all three --tls-* files or none. Plain TCP serves loopback only: another address needs TLS or --insecure-tcp.
                Repeat --tls-allow-operator and --tls-allow-peer for several patterns; in etc/, quote each of several patterns
                and separate them with commas ("CN=admin,O=Ferry", "CN=ops-*,O=Ferry"). With neither list, every certificate
                of the trust store's CA may do everything. Repeat --shared-path for several directories; in etc/, absolute paths
                separated by commas. ferryd exits 1, with one line on stderr that names the problem, when the
                daemon cannot start (a bad setting, a port in use, unreadable TLS files), and 2 for an unknown option.
                """).toString();
    }

    /**
     * The command line as a ferryd started in another directory must get it (a systemd unit runs ferryd in /): every
     * setting checked as {@link #parse} checks it, each path made absolute against this working directory.
     *
     * @throws UsageException for an unknown option or a missing value
     * @throws SettingException for a value that fails its check
     */
    static List<String> absoluteCommandLine(List<String> args, FerryHome home) {
        parse(args, home);
        List<String> absolute = new ArrayList<>();
        flags(args, absolute);
        return absolute;
    }

    private static Map<Setting<?>, String> flags(List<String> args) {
        return flags(args, new ArrayList<>());
    }

    /** @param given gets each option as given, its path value made absolute */
    private static Map<Setting<?>, String> flags(List<String> args, List<String> given) {
        Map<String, Setting<?>> byFlag = FerrydSettings.all().stream().filter(s -> s.flag() != null)
                .collect(Collectors.toMap(Setting::flag, s -> s));
        Map<Setting<?>, String> flags = new LinkedHashMap<>();
        Map<Setting<?>, List<String>> repeated = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String name = args.get(i);
            String value = null;
            int eq = name.indexOf('=');
            if (name.startsWith("--") && eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Setting<?> setting = byFlag.get(name);
            if (setting == null) {
                throw new UsageException("unknown option '" + args.get(i) + "' (ferryd --help lists them)");
            }
            if (value == null && setting.isSwitch()) {
                value = "true";
            } else if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("option " + name + " needs a value: " + setting.valueName());
                }
                value = args.get(++i);
            }
            boolean inline = eq > 0 && args.get(i).startsWith("--");
            if (setting.isRepeatable()) { // one pattern or path each time, into the list its setting holds
                value = setting.isRepeatedPath() ? absolute(value) : value;
                repeated.computeIfAbsent(setting, s -> new ArrayList<>()).add(value);
                flags.put(setting, setting.joinRepeated(repeated.get(setting)));
            } else {
                value = setting.isPath() ? absolute(value) : value;
                flags.put(setting, value);
            }
            if (inline) {
                given.add(name + "=" + value);
            } else {
                given.add(name);
                if (!setting.isSwitch()) {
                    given.add(value);
                }
            }
        }
        return flags;
    }

    /** Against the working directory; a blank value (the default) and a malformed one (its check says so) stay as given. */
    private static String absolute(String path) {
        try {
            return path.isBlank() ? path : Path.of(path.trim()).toAbsolutePath().toString();
        } catch (InvalidPathException e) {
            return path;
        }
    }

    /** A {@code .cfg} file as FileInstall reads it (java.util.Properties, here in UTF-8); none: empty. */
    private static Map<String, String> read(Path file, String origin) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException | IllegalArgumentException e) {
            throw new SettingException("cannot read " + origin + ": " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties.stringPropertyNames().stream().sorted().forEach(key -> values.put(key, properties.getProperty(key)));
        return values;
    }

    /**
     * FileInstall takes {@code etc/PID-NAME.cfg} for a factory configuration of PID (its name split at the first
     * {@code -}), and SCR configures a component from its factory configurations whenever there are any, never from
     * the one ferryd put there: a backup such as {@code io.ferry.plugin.lockstate-orig.cfg} would run in place of
     * what was checked, without the flags (another lease directory: a VM started on two hosts).
     */
    private static void requireNoFactoryFiles(FerryHome home) {
        Pattern factoryFile = Pattern.compile("(" + FerrydSettings.configurations().stream().map(Pattern::quote)
                .collect(Collectors.joining("|")) + ")-.*\\.cfg");
        String name;
        try (Stream<Path> files = Files.list(home.etc())) {
            name = files.map(f -> f.getFileName().toString()).filter(n -> factoryFile.matcher(n).matches()).sorted()
                    .findFirst().orElse(null);
        } catch (NoSuchFileException e) {
            return; // no etc/: nothing for FileInstall either
        } catch (IOException e) {
            throw new SettingException("cannot list etc/: " + e);
        }
        if (name != null) {
            throw new SettingException("etc/" + name + " would be taken as a factory configuration of "
                    + name.substring(0, name.indexOf('-')) + " in place of the settings ferryd checked: rename it so"
                    + " that it does not end in .cfg (e.g. " + name + ".bak) or remove it");
        }
    }

    /** A misspelt key would silently leave its setting at the default. */
    private static void requireKnownKeys(String origin, Set<String> keys) {
        Set<String> known = FerrydSettings.all().stream().filter(s -> s.pid().equals(FerrydSettings.DAEMON)).map(Setting::key)
                .collect(Collectors.toSet());
        for (String key : keys) {
            if (!known.contains(key)) {
                throw new SettingException(origin + ": unknown key '" + key + "'");
            }
        }
    }
}
