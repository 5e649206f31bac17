package io.ferry.launcher;

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
        assertTrue(e.getMessage(), e.getMessage().startsWith("the state directory " + home.root().resolve("var")
                + " is inside the installation " + home.root() + ", which a unit outlives (an upgrade installed beside"
                + " it would start with none of its state: the guests running here unknown, their definitions and"
                + " journal gone): name one outside it with --state-dir (stateDir), e.g. /var/lib/ferry. "));
    }

    /**
     * The refusal's advice must not lose the state it protects: whatever this installation holds (a new build's has
     * nothing; the state is in the one the unit runs now), it says to move the state, and only with no guest running.
     */
    @Test
    public void theStateInUseIsToBeMovedOnlyWithNoGuestRunning() {
        SettingException e = assertThrows(SettingException.class,
                () -> UnitCommandLine.lines(List.of("--hostname", "host-a"), home));
        assertTrue(e.getMessage(), e.getMessage().endsWith(". A ferryd whose state is in an installation's var/ (this"
                + " one's, or the one its unit runs now) starts empty there unless that state is moved first, and only"
                + " once no guest runs on this host (shut off or migrated away: the run directory the state records"
                + " holds their monitors): stop that ferryd, then mv -T INSTALLATION/var /var/lib/ferry (a name not"
                + " taken yet)"));
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
