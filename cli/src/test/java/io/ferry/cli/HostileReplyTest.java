package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Rule;
import org.junit.Test;

/**
 * What a daemon (or, through it, a migration's peer) says reaches the operator's terminal as text, never as terminal
 * control: a carriage return that would overwrite the line, a CSI (U+009B, which XML 1.0 lets through) that would
 * clear the screen or retitle the window; nor an escape sequence in a reply printed as it came (a snapshot's XML).
 */
public class HostileReplyTest {
    private static final String CONTROLS = "&#13;Domain vm1 destroyed&#x9b;2J&#x85;";
    @Rule
    public final FakeDaemon daemon = new FakeDaemon()
            .answer("/v1/domains/vm1/snapshots/s1", 200,
                    "<domainsnapshot><name>s1</name>\u001b]0;owned\u0007\r<description>\u009b2J</description></domainsnapshot>")
            .answer("/v1/domains/vm1", 400, "<error>no such domain" + CONTROLS + "</error>")
            .answer("/v1/domains", 200, "<domains><domain name='vm" + CONTROLS + "' state='running" + CONTROLS + "'/></domains>");

    @Test
    public void anErrorsControlCharactersArePrintedEscaped() {
        CliRun run = CliRun.ferry("-c", daemon.uri(), "dominfo", "vm1");
        assertEquals(1, run.exit());
        assertTrue(run.err(), run.err().startsWith("error: no such domain"));
        assertNoControls(run.err());
    }

    @Test
    public void aListsControlCharactersArePrintedEscaped() {
        CliRun run = CliRun.ferry("-c", daemon.uri(), "list");
        assertEquals(run.err(), 0, run.exit());
        assertTrue(run.out(), run.out().contains("vm\\u000dDomain vm1 destroyed\\u009b2J\\u0085"));
        assertNoControls(run.out());
    }

    @Test
    public void aRawXmlReplysControlCharactersArePrintedAsCharacterReferences() {
        CliRun run = CliRun.ferry("-c", daemon.uri(), "snapshot-dumpxml", "vm1", "s1");
        assertEquals(run.err(), 0, run.exit());
        assertEquals("<domainsnapshot><name>s1</name>&#x1b;]0;owned&#x7;&#xd;<description>&#x9b;2J</description></domainsnapshot>\n",
                run.out());
    }

    private static void assertNoControls(String printed) {
        printed.codePoints().filter(c -> c != '\n').forEach(c -> assertTrue("printed U+" + Integer.toHexString(c)
                + " to the terminal: " + printed.replace("\u001b", "ESC"), !Character.isISOControl(c)));
    }
}
