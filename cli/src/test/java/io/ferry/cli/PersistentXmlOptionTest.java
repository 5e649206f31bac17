package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/**
 * {@code migrate --persistent-xml FILE}, virsh's: the definition the destination keeps. Refused before anything
 * connects to a daemon when it cannot apply: without --persistent the destination keeps no definition.
 */
public class PersistentXmlOptionTest {
    private static final String DEST = "tcp://127.0.0.1:1";

    @Test
    public void itNeedsPersistent() {
        assertEquals(new CliRun(1, "", "error: migrate: --persistent-xml requires --persistent\n"),
                CliRun.ferry("migrate", "--live", "--persistent-xml", "vm1.xml", "vm1", DEST));
    }

    @Test
    public void aFileThatIsNotThereIsNamed() {
        assertEquals(new CliRun(1, "", "error: no such file: no-such.xml\n"),
                CliRun.ferry("migrate", "--live", "--persistent", "--persistent-xml", "no-such.xml", "vm1", DEST));
    }

    @Test
    public void helpNamesIt() {
        CliRun help = CliRun.ferry("help");
        assertEquals(0, help.exit());
        assertTrue(help.out(), help.out().contains("[--persistent-xml FILE]   with --persistent: the definition the destination"
                + " keeps"));
    }
}
