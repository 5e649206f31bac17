package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;

import io.ferry.core.StderrLog;
import java.util.List;
import org.junit.Test;

/**
 * Daemons with nothing wrong to report (a start, a restart, a migration) log no error and no warning: such a line
 * sends an operator looking for a fault there is not, and hides the next real one among the false.
 */
public class QuietLogTest {
    private static final String VM = "vm1";

    @Test
    public void aFirstStartOnEmptyStateDirectoriesLogsNoErrorNorWarning() throws Exception {
        String log = StderrLog.of(TwoDaemons::new);

        assertEquals(List.of(), errorsAndWarnings(log));
    }

    @Test
    public void aRestartThatReattachesARunningGuestLogsNoErrorNorWarning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);

        String log = StderrLog.of(d.source::restart);

        d.source.assertRuns(VM, null);
        assertEquals(List.of(), errorsAndWarnings(log));
    }

    @Test
    public void aMigrationWithNothingWrongLogsNoErrorNorWarningOnEitherHost() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);

        String log = StderrLog.of(() -> {
            d.migrate(VM, TwoDaemons.PERSISTENT);
            d.network.passes(10_000, d.source, d.destination);
        });

        d.destination.assertRuns(VM, digest);
        assertEquals(List.of(), errorsAndWarnings(log));
    }

    private static List<String> errorsAndWarnings(String log) {
        return log.lines().filter(line -> line.contains(" ERROR ") || line.contains(" WARN ")).toList();
    }
}
