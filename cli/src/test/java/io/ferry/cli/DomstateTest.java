package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;

/** virsh's {@code domstate NAME [--reason]}: the state a daemon reports for the domain, as virsh prints it. */
public class DomstateTest {
    @Rule
    public final FakeDaemon daemon = new FakeDaemon()
            .answer("/v1/domains/vm1", 200,
                    "<domain name='vm1' uuid='8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f10' state='paused' reason='I/O error' persistent='yes'/>")
            .answer("/v1/domains/nosuch", 404, "<error>Domain not found: no domain with matching name 'nosuch'</error>");

    @Test
    public void theStateAloneOrWithItsReason() {
        assertEquals(new CliRun(0, "paused\n", ""), CliRun.ferry("-c", daemon.uri(), "domstate", "vm1"));
        assertEquals(new CliRun(0, "paused (I/O error)\n", ""), CliRun.ferry("-c", daemon.uri(), "domstate", "vm1", "--reason"));
    }

    @Test
    public void aDomainThatDoesNotExistIsNamed() {
        CliRun run = CliRun.ferry("-c", daemon.uri(), "domstate", "nosuch", "--reason");
        assertEquals(1, run.exit());
        assertEquals("error: Domain not found: no domain with matching name 'nosuch'\n", run.err());
    }
}
