package io.ferry.core.host;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.core.daemon.TestDaemons;
import java.nio.file.Path;
import java.util.Map;
import org.junit.Test;

/** What a plug-in learns of its host before and after the daemon is configured. */
public class FrameworkHostSettingsTest {
    private final FrameworkHostSettings settings =
            new FrameworkHostSettings(TestDaemons.context(Map.of("ferry.home", "/opt/ferry")));

    @Test
    public void aRelativePathIsUnderTheInstallationAndAnAbsoluteOneStaysAsGiven() {
        assertEquals(Path.of("/opt/ferry/conf/token"), settings.resolve("conf/token"));
        assertEquals(Path.of("/etc/ferry/token"), settings.resolve("/etc/ferry/token"));
    }

    @Test
    public void withoutAnInstallationARelativePathIsUnderTheWorkingDirectory() {
        FrameworkHostSettings homeless = new FrameworkHostSettings(TestDaemons.context(Map.of()));
        assertEquals(Path.of("conf/token").toAbsolutePath(), homeless.resolve("conf/token"));
    }

    @Test
    public void theStateDirectoryAskedForBeforeADaemonIsConfiguredIsRefusedSayingWhy() {
        IllegalStateException refusal = assertThrows(IllegalStateException.class, settings::stateDir);
        assertEquals("the daemon's state directory is not known yet (no daemon configured)", refusal.getMessage());
    }
}
