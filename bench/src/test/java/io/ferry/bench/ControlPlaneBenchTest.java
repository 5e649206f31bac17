package io.ferry.bench;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import org.junit.Test;

/**
 * bench/run-control-plane refuses a count below 1 before it starts a daemon: with no warm-up or no measured
 * migration it had nothing to take a median of, and failed after all its migrations.
 */
public class ControlPlaneBenchTest {
    private static final Path NO_INSTALLATION = Path.of("/nonexistent/ferry");

    @Test
    public void noWarmUpIsRefusedAtTheStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ControlPlaneBench.measure(NO_INSTALLATION, 0, 200, Map.of()));

        assertEquals("warm-up migrations: 0, where at least 1 is needed", e.getMessage());
    }

    @Test
    public void noMeasuredMigrationIsRefusedAtTheStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ControlPlaneBench.measure(NO_INSTALLATION, 1000, -3, Map.of()));

        assertEquals("measured migrations: -3, where at least 1 is needed", e.getMessage());
    }
}
