package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Rule;
import org.junit.Test;

/** virsh's {@code dumpxml NAME [--inactive]}: the daemon's definition printed as it is, ending in a line break. */
public class DumpxmlTest {
    private static final String DEFINITION = "<domain type='qemu'>\n  <name>vm1</name>\n  <devices>\n"
            + "    <interface type='user'>\n      <mac address='52:54:00:0a:0b:0c'/>\n    </interface>\n  </devices>\n</domain>";

    @Rule
    public final FakeDaemon daemon = new FakeDaemon().answer("/v1/domains/vm1/xml", 200, DEFINITION);

    @Test
    public void theDefinitionTheDomainRuns() {
        assertEquals(new CliRun(0, DEFINITION + "\n", ""), CliRun.ferry("-c", daemon.uri(), "dumpxml", "vm1"));
        assertEquals("GET /v1/domains/vm1/xml", daemon.lastRequest());
        assertNull(daemon.lastQuery());
    }

    @Test
    public void inactiveAsksForTheStoredOne() {
        assertEquals(new CliRun(0, DEFINITION + "\n", ""), CliRun.ferry("-c", daemon.uri(), "dumpxml", "vm1", "--inactive"));
        assertEquals("inactive=yes", daemon.lastQuery());
    }
}
