package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.settings.FerrydSettings;
import io.ferry.settings.Setting;
import io.ferry.settings.SettingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** ferryd's command line laid over etc/: what goes into Config Admin, and what is refused before the framework boots. */
public class DaemonOptionsTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private FerryHome home;

    @Before
    public void installation() throws Exception {
        home = new FerryHome(temp.newFolder("ferry").toPath());
        Files.createDirectories(home.etc());
    }

    @Test
    public void flagsGoIntoTheConfigurationOfTheirSettingOverTheFile() throws Exception {
        etc("io.ferry.daemon.cfg", "listen = 127.0.0.1:16571\nconfirmWait = 7\n");
        etc("io.ferry.lock.zookeeper.cfg", "connect = zk1:2181\nroot = /ferry/leases\n");
        DaemonOptions options = parse("--confirm-wait", "3", "--lease-dir", "leases", "--zookeeper=zk2:2181", "--ovsdb", "unix:/run/db");
        assertEquals(Map.of("listen", "127.0.0.1:16571", "confirmWait", "3"), options.configurations().get(FerrydSettings.DAEMON));
        assertEquals(Map.of("leaseDir", Path.of("leases").toAbsolutePath().toString()), options.configurations().get(FerrydSettings.LOCKSTATE));
        assertEquals(Map.of("connect", "zk2:2181", "root", "/ferry/leases"), options.configurations().get(FerrydSettings.ZOOKEEPER));
        assertEquals(Map.of("ovsdb", "unix:/run/db"), options.configurations().get(FerrydSettings.OVS));
    }

    @Test
    public void everyConfigurationOfTheTableExistsEvenWhenNothingSetsIt() throws Exception {
        // Felix SCR ignores the QEMU driver's own configuration while its other one (OVS) does not exist
        DaemonOptions options = parse("--progress-timeout", "2");
        assertEquals(Map.of(), options.configurations().get(FerrydSettings.DAEMON));
        assertEquals(Map.of(), options.configurations().get(FerrydSettings.OVS));
        assertEquals(Map.of("progressTimeoutSeconds", "2"), options.configurations().get(FerrydSettings.QEMU));
        assertEquals(FerrydSettings.configurations(), options.configurations().keySet());
        assertEquals(home.root().resolve("var"), options.stateDir());
        assertEquals(home.root().resolve("var/run"), options.runDir());
        assertEquals(home.root().resolve("deploy"), options.deployDir());
        assertEquals(Map.of("ferry.deploy.dir", home.root().resolve("deploy").toString()), options.frameworkProperties());
    }

    @Test
    public void pathsInTheFileAreRelativeToTheInstallationOnTheCommandLineToTheWorkingDirectory() throws Exception {
        etc("io.ferry.daemon.cfg", "stateDir = var/host-a\n");
        assertEquals(home.root().resolve("var/host-a"), parse().stateDir());
        assertEquals(Path.of("state").toAbsolutePath(), parse("--state-dir", "state").stateDir());
        assertEquals(Path.of("deployed").toAbsolutePath(), parse("--deploy-dir", "deployed").deployDir());
        assertEquals(home.root().resolve("var/host-a/run"), parse().runDir());
        assertEquals(Path.of("running").toAbsolutePath(), parse("--run-dir", "running").runDir());
        etc("io.ferry.daemon.cfg", "runDir = run/host-a\n");
        assertEquals(home.root().resolve("run/host-a"), parse().runDir());
    }

    @Test
    public void aBadValueIsRefusedNamingWhereItCameFrom() throws Exception {
        assertEquals("--finish-wait '-5' is not a whole number of seconds from 0 to 2147483647",
                assertThrows(SettingException.class, () -> parse("--finish-wait", "-5")).getMessage());
        etc("io.ferry.daemon.cfg", "lockManager = bogus\n");
        assertEquals("etc/io.ferry.daemon.cfg: lockManager 'bogus' is not one of file, zookeeper, none",
                assertThrows(SettingException.class, DaemonOptionsTest.this::parse).getMessage());
        assertEquals("zookeeper", parse("--lock-manager", "zookeeper").configurations().get(FerrydSettings.DAEMON).get("lockManager"));
    }

    @Test
    public void anUnknownKeyOfTheDaemonsFileIsRefused() throws Exception {
        etc("io.ferry.daemon.cfg", "finsihWait = 5\n");
        assertEquals("etc/io.ferry.daemon.cfg: unknown key 'finsihWait'",
                assertThrows(SettingException.class, DaemonOptionsTest.this::parse).getMessage());
    }

    /**
     * FileInstall takes etc/PID-NAME.cfg for a factory configuration of PID, and SCR configures a component from its
     * factory configurations whenever there are any: a backup would run in place of the file and flags checked here.
     */
    @Test
    public void aBackupFileInstallWouldTakeForAFactoryConfigurationOfFerrydsOwnIsRefused() throws Exception {
        etc("io.ferry.daemon.cfg", "listen = 127.0.0.1:16571\n");
        etc("io.ferry.daemon-old.cfg", "listen = 0.0.0.0:16570\n");
        assertEquals("etc/io.ferry.daemon-old.cfg would be taken as a factory configuration of io.ferry.daemon in place"
                + " of the settings ferryd checked: rename it so that it does not end in .cfg (e.g."
                + " io.ferry.daemon-old.cfg.bak) or remove it",
                assertThrows(SettingException.class, () -> parse()).getMessage());
        Files.move(home.etc().resolve("io.ferry.daemon-old.cfg"), home.etc().resolve("io.ferry.daemon-old.cfg.bak"));
        etc("io.ferry.plugin.lockstate-orig.cfg", "leaseDir = var/leases\n");
        assertEquals("etc/io.ferry.plugin.lockstate-orig.cfg would be taken as a factory configuration of"
                + " io.ferry.plugin.lockstate in place of the settings ferryd checked: rename it so that it does not"
                + " end in .cfg (e.g. io.ferry.plugin.lockstate-orig.cfg.bak) or remove it",
                assertThrows(SettingException.class, () -> parse("--lease-dir", "/shared/leases")).getMessage());
        Files.delete(home.etc().resolve("io.ferry.plugin.lockstate-orig.cfg"));
        // not ferryd's: FileInstall's own factory configuration, another plug-in's, files FileInstall does not read
        for (String other : List.of("org.apache.felix.fileinstall-deploy.cfg", "io.ferry.plugin.graphics-old.cfg",
                "io.ferry.daemonic-old.cfg", "io.ferry.daemon.cfg.orig", "io.ferry.daemon-old.config",
                "io.ferry.daemon-")) {
            etc(other, "");
        }
        assertEquals(Map.of("listen", "127.0.0.1:16571"), parse().configurations().get(FerrydSettings.DAEMON));
    }

    /** One put there while ferryd runs: FileInstall, which follows etc/, does not read it either. */
    @Test
    public void fileInstallReadsNoFactoryConfigurationOfFerrydsOwn() {
        java.util.regex.Pattern read = java.util.regex.Pattern.compile(EmbeddedFramework.configFilesExceptFerryds());
        for (String ferryds : List.of("io.ferry.daemon.cfg", "io.ferry.daemon-old.cfg",
                "io.ferry.plugin.lockstate-orig.cfg")) {
            assertFalse(ferryds, read.matcher(ferryds).matches());
        }
        for (String other : List.of("io.ferry.plugin.graphics.cfg", "io.ferry.plugin.graphics-old.cfg",
                "io.ferry.daemonic-old.cfg", "org.apache.felix.fileinstall-deploy.cfg")) {
            assertTrue(other, read.matcher(other).matches());
        }
    }

    @Test
    public void anUnknownOptionOrAMissingValueIsAUsageError() {
        assertEquals("unknown option '--bogus' (ferryd --help lists them)",
                assertThrows(DaemonOptions.UsageException.class, () -> parse("--bogus")).getMessage());
        assertEquals("option --listen needs a value: HOST:PORT",
                assertThrows(DaemonOptions.UsageException.class, () -> parse("--listen")).getMessage());
    }

    @Test
    public void blankFlagsMeanTheDefaultOverTheFile() throws Exception {
        etc("io.ferry.daemon.cfg", "tlsKeystore = k.p12\ntlsTruststore = t.p12\ntlsPasswordFile = p\n");
        Map<String, Object> daemon = parse("--tls-keystore", "", "--tls-truststore", "", "--tls-password-file", "")
                .configurations().get(FerrydSettings.DAEMON);
        assertEquals(Map.of("tlsKeystore", "", "tlsTruststore", "", "tlsPasswordFile", ""), daemon);
    }

    @Test
    public void aRepeatedAllowFlagAddsOnePatternEachTimeAndWinsOverTheFilesList() throws Exception {
        etc("io.ferry.daemon.cfg", "tlsAllowOperators = CN=from-file\n");
        Map<String, Object> daemon = parse("--tls-allow-operator", "CN=admin,O=Ferry", "--tls-allow-operator=CN=ops-*,O=Ferry",
                "--tls-allow-peer", "CN=host-*,O=Ferry").configurations().get(FerrydSettings.DAEMON);
        assertEquals("\"CN=admin,O=Ferry\", \"CN=ops-*,O=Ferry\"", daemon.get("tlsAllowOperators"));
        assertEquals("\"CN=host-*,O=Ferry\"", daemon.get("tlsAllowPeers"));
        assertEquals("--tls-allow-peer '\"CN=a\", \"host-b\"' holds a subject pattern 'host-b' that has an attribute without '=' "
                + "('host-b')", assertThrows(SettingException.class, () -> parse("--tls-allow-peer", "CN=a", "--tls-allow-peer",
                "host-b")).getMessage());
    }

    @Test
    public void aRepeatedSharedPathAddsOneDirectoryEachTimeAndARelativeOneInTheFileIsRefused() throws Exception {
        etc("io.ferry.driver.qemu.cfg", "sharedPaths = /from/file\n");
        Map<String, Object> qemu = parse("--shared-path", "/srv/images", "--shared-path=rel").configurations()
                .get(FerrydSettings.QEMU);
        assertEquals("/srv/images," + Path.of("rel").toAbsolutePath(), qemu.get("sharedPaths"));
        assertEquals("/from/file", parse().configurations().get(FerrydSettings.QEMU).get("sharedPaths"));
        etc("io.ferry.driver.qemu.cfg", "sharedPaths = /srv/images, images\n");
        assertEquals("etc/io.ferry.driver.qemu.cfg: sharedPaths '/srv/images, images' holds 'images', which is not an absolute"
                + " path", assertThrows(SettingException.class, () -> parse()).getMessage());
    }

    @Test
    public void plainTcpOffLoopbackIsRefusedBeforeTheFrameworkBootsUnlessInsecureTcpIsGiven() {
        assertTrue(assertThrows(SettingException.class, () -> parse("--listen", "0.0.0.0:0")).getMessage()
                .startsWith("plain TCP serves loopback only: listening on 0.0.0.0:0 needs TLS"));
        assertEquals("true", parse("--listen", "0.0.0.0:0", "--insecure-tcp").configurations().get(FerrydSettings.DAEMON)
                .get("insecureTcp"));
    }

    /** What a systemd unit runs ferryd with: each option as given (a switch alone, a value inline or after), paths absolute. */
    @Test
    public void theAbsoluteCommandLineKeepsEachOptionsFormAndMakesPathsAbsolute() {
        String here = Path.of("").toAbsolutePath().toString();
        assertEquals(List.of("--insecure-tcp", "--state-dir", here + "/var", "--shared-path=" + here + "/images", "--hostname",
                "a"), DaemonOptions.absoluteCommandLine(List.of("--insecure-tcp", "--state-dir", "var", "--shared-path=images",
                        "--hostname", "a"), home));
    }

    /**
     * What bin/ferryd-systemd-unit writes into a unit after ferryd's arguments: the directories whose file systems it is
     * started after (RequiresMountsFor=), since the file lock manager refuses a lease directory whose share is not there.
     */
    @Test
    public void theUnitIsStartedAfterTheMountsOfTheStateRunAndLeaseDirectories() throws Exception {
        assertEquals(List.of("+--state-dir", "+/var/lib/ferry", "+--lease-dir=/mnt/share/leases", "=/var/lib/ferry",
                "=/var/lib/ferry/run", "=/mnt/share/leases"),
                UnitCommandLine.lines(List.of("--state-dir", "/var/lib/ferry", "--lease-dir=/mnt/share/leases"), home));
        assertEquals(List.of("=/var/lib/ferry", "=/var/lib/ferry/run", "=" + home.root().resolve("var/leases")),
                UnitCommandLine.lines(List.of("--state-dir", "/var/lib/ferry"), home).stream()
                        .filter(line -> line.startsWith("=")).toList());

        // systemd follows no link of RequiresMountsFor=: where one leads is named too, there or not there yet
        Path share = Files.createDirectories(temp.getRoot().toPath().toRealPath().resolve("mnt/share"));
        Path leases = Files.createSymbolicLink(temp.getRoot().toPath().resolve("leases"), share);
        Path state = Files.createSymbolicLink(temp.getRoot().toPath().resolve("state"), share);
        assertEquals(List.of("=" + state.resolve("host-a"), "=" + share.resolve("host-a"), "=" + state.resolve("run"),
                "=" + share.resolve("run"), "=" + leases, "=" + share), UnitCommandLine.lines(List.of("--state-dir",
                state.resolve("host-a").toString(), "--run-dir", state.resolve("run").toString(), "--lease-dir",
                leases.toString()), home).stream().filter(line -> line.startsWith("=")).toList());
    }

    /** ExecStart= gets relative directories made absolute against the working directory: the mounts waited for too. */
    @Test
    public void relativeDirectoriesAreWaitedForWhereExecStartHasThem() {
        Path here = Path.of("").toAbsolutePath();
        assertEquals(List.of("+--state-dir", "+" + here.resolve("state"), "+--lease-dir=" + here.resolve("share/leases"),
                "=" + here.resolve("state"), "=" + here.resolve("state/run"), "=" + here.resolve("share/leases")),
                UnitCommandLine.lines(List.of("--state-dir", "state", "--lease-dir=share/leases"), home));
    }

    @Test
    public void aLeaseDirectoryOfTheSettingsIsTheInstallationsAndNoneIsNeededWithoutFileLeases() throws Exception {
        etc("io.ferry.plugin.lockstate.cfg", "leaseDir = shared/leases\n");
        assertEquals("=" + home.root().resolve("shared/leases"),
                UnitCommandLine.lines(List.of("--state-dir", "/var/lib/ferry"), home).get(4));

        assertEquals(List.of("+--lock-manager", "+zookeeper", "+--state-dir", "+/var/lib/ferry", "+--run-dir",
                "+/run/ferry", "=/var/lib/ferry", "=/run/ferry"), UnitCommandLine.lines(List.of("--lock-manager",
                "zookeeper", "--state-dir", "/var/lib/ferry", "--run-dir", "/run/ferry"), home));
    }

    @Test
    public void aDirectoryWithALineBreakIsRefused() throws Exception {
        etc("io.ferry.plugin.lockstate.cfg", "leaseDir = /mnt/a\\nb\n");
        assertEquals("the directory /mnt/a\\nb holds a line break, which a unit file cannot carry",
                assertThrows(SettingException.class,
                        () -> UnitCommandLine.lines(List.of("--state-dir", "/var/lib/ferry"), home)).getMessage());
    }

    @Test
    public void helpListsEveryFlag() {
        String usage = DaemonOptions.usage();
        for (Setting<?> setting : FerrydSettings.all()) {
            if (setting.flag() != null) {
                assertTrue(setting.flag(), usage.contains("  " + setting.flag() + " "));
            } else {
                assertFalse("a setting without a flag is in etc/ only: " + setting.key(), usage.contains(setting.key()));
            }
        }
        assertTrue(usage, usage.contains("[io.ferry.plugin.lockstate.cfg leaseDir]"));
    }

    private DaemonOptions parse(String... args) {
        return DaemonOptions.parse(List.of(args), home);
    }

    private void etc(String file, String content) throws Exception {
        Files.writeString(home.etc().resolve(file), content);
    }
}
