package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/**
 * {@code ferry suspend} and {@code migrate --suspend}, parsed as virsh parses them: refusals before anything connects to
 * a daemon.
 */
public class SuspendOptionsTest {
    @Test
    public void suspendTakesOneDomainName() {
        assertEquals(new CliRun(1, "", "error: missing argument: expected NAME\n"), CliRun.ferry("suspend"));
        assertEquals(new CliRun(1, "", "error: unexpected argument 'vm2'\n"), CliRun.ferry("suspend", "vm1", "vm2"));
    }

    @Test
    public void helpNamesSuspendAndMigrateSuspend() {
        CliRun help = CliRun.ferry("help");
        assertEquals(0, help.exit());
        assertTrue(help.out(), help.out().contains("suspend NAME "));
        assertTrue(help.out(), help.out().contains("[--suspend]"));
    }
}
