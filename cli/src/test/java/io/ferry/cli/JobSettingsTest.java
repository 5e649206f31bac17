package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;

/** virsh's migrate-getspeed and migrate-getmaxdowntime: the value the daemon reports, alone on a line, as virsh prints it. */
public class JobSettingsTest {
    @Rule
    public final FakeDaemon daemon = new FakeDaemon()
            .answer("/v1/domains/vm1/job/speed", 200, "<speed value='100'/>")
            .answer("/v1/domains/vm1/job/maxdowntime", 200, "<maxdowntime value='500'/>")
            .answer("/v1/domains/nosuch", 404, "<error>Domain not found: no domain with matching name 'nosuch'</error>");

    @Test
    public void theSpeedInMibPerSecond() {
        assertEquals(new CliRun(0, "100\n", ""), CliRun.ferry("-c", daemon.uri(), "migrate-getspeed", "vm1"));
        assertEquals("GET /v1/domains/vm1/job/speed", daemon.lastRequest());
    }

    @Test
    public void theMaxDowntimeInMilliseconds() {
        assertEquals(new CliRun(0, "500\n", ""), CliRun.ferry("-c", daemon.uri(), "migrate-getmaxdowntime", "vm1"));
        assertEquals("GET /v1/domains/vm1/job/maxdowntime", daemon.lastRequest());
    }

    @Test
    public void aDomainThatDoesNotExistIsNamed() {
        assertEquals(new CliRun(1, "", "error: Domain not found: no domain with matching name 'nosuch'\n"),
                CliRun.ferry("-c", daemon.uri(), "migrate-getspeed", "nosuch"));
    }

    @Test
    public void theNameIsNeeded() {
        CliRun run = CliRun.ferry("-c", daemon.uri(), "migrate-getmaxdowntime");
        assertEquals(1, run.exit());
        assertEquals("", run.out());
    }
}
