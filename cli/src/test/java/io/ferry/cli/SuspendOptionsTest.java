package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/**
 * {@code ferry suspend} and {@code migrate --suspend / --timeout / --timeout-suspend}, parsed as virsh parses them: its
 * refusals in its words, before anything connects to a daemon.
 */
public class SuspendOptionsTest {
    private static final String DEST = "tcp://127.0.0.1:1";

    @Test
    public void aTimeoutNeedsALiveMigration() {
        CliRun refused = new CliRun(1, "", "error: migrate: Unexpected timeout for offline migration\n");
        assertEquals(refused, CliRun.ferry("migrate", "--timeout", "5", "vm1", DEST));
        assertEquals(refused, CliRun.ferry("migrate", "--live", "--offline", "--persistent", "--timeout", "5", "vm1", DEST));
    }

    @Test
    public void aTimeoutActionNeedsATimeout() {
        assertEquals(new CliRun(1, "", "error: migrate: Unexpected --timeout-* option without --timeout\n"),
                CliRun.ferry("migrate", "--live", "--timeout-suspend", "vm1", DEST));
    }

    @Test
    public void aTimeoutIsAWholeNumberOfSecondsFromOne() {
        for (String bad : new String[] {"0", "-3", "soon", "1.5", "99999999999"}) {
            assertEquals(bad, new CliRun(1, "", "error: invalid timeout '" + bad + "' (seconds, at least 1)\n"),
                    CliRun.ferry("migrate", "--live", "--timeout", bad, "vm1", DEST));
        }
        assertEquals(new CliRun(1, "", "error: option --timeout needs a value\n"),
                CliRun.ferry("migrate", "vm1", DEST, "--live", "--timeout"));
    }

    @Test
    public void aBandwidthIsAWholeNumberOfMibPerSecondThatALongHoldsInBytes() {
        for (String bad : new String[] {"-1", "fast", "1.5", "8796093022208", "99999999999999999999"}) {
            assertEquals(bad, new CliRun(1, "", "error: invalid bandwidth '" + bad
                    + "' (MiB/s, 0 for no cap, at most 8796093022207)\n"),
                    CliRun.ferry("migrate", "--live", "--bandwidth", bad, "vm1", DEST));
        }
        assertEquals("inline", new CliRun(1, "", "error: invalid bandwidth 'fast' (MiB/s, 0 for no cap, at most "
                + "8796093022207)\n"), CliRun.ferry("migrate", "--live", "--bandwidth=fast", "vm1", DEST));
    }

    @Test
    public void suspendTakesOneDomainName() {
        assertEquals(new CliRun(1, "", "error: missing argument: expected NAME\n"), CliRun.ferry("suspend"));
        assertEquals(new CliRun(1, "", "error: unexpected argument 'vm2'\n"), CliRun.ferry("suspend", "vm1", "vm2"));
    }

    @Test
    public void helpNamesSuspendAndTheMigrateOptions() {
        CliRun help = CliRun.ferry("help");
        assertEquals(0, help.exit());
        assertTrue(help.out(), help.out().contains("suspend NAME "));
        assertTrue(help.out(), help.out().contains("[--suspend]"));
        assertTrue(help.out(), help.out().contains("[--timeout SECONDS [--timeout-suspend]]"));
    }
}
