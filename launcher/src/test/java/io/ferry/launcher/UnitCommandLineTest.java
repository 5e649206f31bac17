package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.settings.SettingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A unit runs ferryd across upgrades: a state directory inside the installation would be left behind by the next build
 * installed beside it, whose ferryd would start empty (the guests running here unknown to it).
 */
public class UnitCommandLineTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private FerryHome home;
    private Path outside;

    @Before
    public void installation() throws Exception {
        home = new FerryHome(temp.newFolder("ferry").toPath());
        Files.createDirectories(home.etc());
        outside = temp.newFolder("var-lib-ferry").toPath();
    }

    @Test
    public void aStateDirectoryInsideTheInstallationIsRefused() {
        SettingException e = assertThrows(SettingException.class,
                () -> UnitCommandLine.lines(List.of("--hostname", "host-a"), home));
        assertEquals("the state directory " + home.root().resolve("var") + " is inside the installation "
                + home.root() + ", which a unit outlives (an upgrade installed beside it would start with none of its"
                + " state: the guests running here unknown, their definitions and journal gone): name one outside it"
                + " with --state-dir (stateDir), e.g. /var/lib/ferry", e.getMessage());
    }

    /** The refusal's advice must not lose the state it protects: a state directory in use is to be moved first. */
    @Test
    public void aStateDirectoryInUseIsToBeMovedNotLeft() throws Exception {
        Files.createDirectories(home.root().resolve("var/domains"));
        SettingException e = assertThrows(SettingException.class,
                () -> UnitCommandLine.lines(List.of("--hostname", "host-a"), home));
        assertTrue(e.getMessage(), e.getMessage().endsWith("; this one holds a ferryd's state: stop that ferryd and"
                + " move the directory there first, within its file system (a copy breaks the running guests' monitor"
                + " sockets) and to a name not taken yet (mv -T " + home.root().resolve("var") + " /var/lib/ferry), or"
                + " the new one starts without it"));
    }

    /** An installation reached through a link (/opt/ferry -> /opt/ferry-1.2) is the same installation. */
    @Test
    public void aStateDirectoryInsideTheInstallationThroughALinkIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(temp.getRoot().toPath().resolve("ferry-link"), home.root());
        SettingException e = assertThrows(SettingException.class,
                () -> UnitCommandLine.lines(List.of("--state-dir", link.resolve("var").toString()), home));
        assertTrue(e.getMessage(), e.getMessage().startsWith("the state directory " + link.resolve("var")
                + " is inside the installation "));
    }

    @Test
    public void aStateDirectoryOutsideTheInstallationIsWrittenIntoTheUnit() {
        List<String> lines = UnitCommandLine.lines(List.of("--state-dir", outside.toString(), "--lock-manager", "none"),
                home);
        assertTrue(lines.toString(), lines.contains("=" + outside));
    }
}
