package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;

/**
 * {@code --} ends a command's options, as in virsh and for {@code -c} and {@code --help} already: what follows is a
 * positional even when it starts with {@code --} (a domain of that name), and {@code --} itself is none.
 */
public class EndOfOptionsTest {
    @Rule
    public final FakeDaemon daemon = new FakeDaemon().answer("/v1/domains/--odd", 200,
            "<domain name='--odd' uuid='8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f10' state='running' reason='booted'"
            + " persistent='yes'/>");

    @Test
    public void aNameThatLooksLikeAnOptionFollowsADoubleDash() {
        assertEquals(new CliRun(0, "running (booted)\n", ""),
                CliRun.ferry("-c", daemon.uri(), "domstate", "--reason", "--", "--odd"));
        assertEquals("GET /v1/domains/--odd", daemon.lastRequest());
    }

    @Test
    public void anOptionAfterADoubleDashIsAnArgument() {
        assertEquals(new CliRun(1, "", "error: unexpected argument '--reason'\n"),
                CliRun.ferry("-c", daemon.uri(), "domstate", "--", "--odd", "--reason"));
        assertEquals(new CliRun(1, "", "error: missing argument: expected NAME\n"),
                CliRun.ferry("-c", daemon.uri(), "domstate", "--"));
    }
}
