package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code migrate --persistent-xml FILE}, virsh's: the definition the destination keeps. Refused before anything
 * connects to a daemon when it cannot apply: without --persistent the destination keeps no definition. Refused before
 * anything begins when the source daemon does not take it (one from before it reads the request without it).
 */
public class PersistentXmlOptionTest {
    private static final String DEST = "tcp://127.0.0.1:1";
    private static final String REFUSAL = "the source refuses the migration here";

    @Rule
    public final TemporaryFolder dir = new TemporaryFolder();
    @Rule
    public final FakeDaemon older = new FakeDaemon().answer("/v1/version", 200, "<version ferry='0.9.0' protocols='2,3'/>")
            .answer("/v1/migrate", 409, "<error>" + REFUSAL + "</error>");
    @Rule
    public final FakeDaemon current = new FakeDaemon()
            .answer("/v1/version", 200, "<version ferry='1.0.0' protocols='2,3' options='persistent-xml'/>")
            .answer("/v1/migrate", 409, "<error>" + REFUSAL + "</error>");

    @Test
    public void aSourceDaemonThatDoesNotTakeItIsToldNothingElse() throws Exception {
        CliRun run = CliRun.ferry("-c", older.uri(), "migrate", "--live", "--p2p", "--persistent", "--persistent-xml",
                definition().toString(), "vm1", DEST);

        assertEquals(new CliRun(1, "", "error: migrate: the source daemon " + older.uri() + " (Ferry 0.9.0) does not take"
                + " --persistent-xml: it would migrate the domain as if it had not been given; update that daemon first\n"), run);
        assertEquals("GET /v1/version", older.lastRequest());
        assertEquals(1, older.answered());
    }

    @Test
    public void aSourceDaemonThatTakesItIsAskedToMigrate() throws Exception {
        CliRun run = CliRun.ferry("-c", current.uri(), "migrate", "--live", "--p2p", "--persistent", "--persistent-xml",
                definition().toString(), "vm1", DEST);

        assertEquals(new CliRun(1, "", "error: " + REFUSAL + "\n"), run);
        assertEquals("POST /v1/migrate", current.lastRequest());
    }

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

    private Path definition() throws Exception {
        return Files.writeString(dir.newFile("vm1.xml").toPath(), "<domain type='sim'><name>vm1</name></domain>");
    }

    @Test
    public void helpNamesIt() {
        CliRun help = CliRun.ferry("help");
        assertEquals(0, help.exit());
        assertTrue(help.out(), help.out().contains("[--persistent-xml FILE]   with --persistent: the definition the destination"
                + " keeps"));
    }
}
