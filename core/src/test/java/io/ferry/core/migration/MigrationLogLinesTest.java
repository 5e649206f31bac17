package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * Every line a migration logs, on either host and on the section workers, names the migration ({@code mig=} in the
 * log pattern): an operator greps one migration's story out of a busy daemon's log. Begin's lines, before the
 * migration has its id, name the domain's Begin.
 */
public class MigrationLogLinesTest {
    private static final String VM = "vm1";
    private static final Pattern BEGUN = Pattern.compile("migration (\\S+) of " + VM + " begun");

    @Test
    public void eachLineOfAMigrationOnBothHostsNamesIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);

        String log = StderrLog.of(() -> d.migrate(VM, TwoDaemons.PERSISTENT));

        Matcher begun = BEGUN.matcher(log);
        assertTrue(log, begun.find());
        String id = begun.group(1);
        // the test's thread runs both daemons' phases, the section workers their sections' calls; other threads are
        // other tests' leftovers in this JVM
        List<String> lines = log.lines().filter(line -> line.startsWith("[main] ") || line.startsWith("[test-section-worker] "))
                .toList();
        List<String> untagged = lines.stream()
                .filter(line -> !line.contains(" mig=" + id + " - ") && !line.contains(" mig=begin:" + VM + " - ")).toList();
        assertEquals(List.of(), untagged);
        assertTrue("the migration's lines on the destination, the sections' and the Confirm's: " + log,
                lines.stream().filter(line -> line.contains(" mig=" + id + " - ")).count() >= 5);
    }
}
