package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;

/**
 * A peer-to-peer migration the source daemon refuses: its error as the command's, and the word on cookies only for an
 * operator who asked to see them ({@code --show-cookies}: with {@code --p2p} the source daemon hands them over only
 * with its success).
 */
public class PeerToPeerFailureTest {
    private static final String REFUSAL = "Requested operation is not valid: domain is not running";

    @Rule
    public final FakeDaemon daemon = new FakeDaemon().answer("/v1/migrate", 409, "<error>" + REFUSAL + "</error>");

    @Test
    public void theSourcesRefusalIsTheError() {
        assertEquals(new CliRun(1, "", "error: " + REFUSAL + "\n"),
                CliRun.ferry("-c", daemon.uri(), "migrate", "--live", "--p2p", "vm1", "ferry+tcp://127.0.0.1:1"));
    }

    @Test
    public void withShowCookiesItSaysWhyThereAreNone() {
        assertEquals(new CliRun(1, "", "error: " + REFUSAL + " (no cookies to show: with --p2p the source daemon drives the"
                + " migration and hands its cookies over only when it completes; migrate without --p2p to see them up to a"
                + " failure)\n"),
                CliRun.ferry("-c", daemon.uri(), "migrate", "--live", "--p2p", "--show-cookies", "vm1",
                        "ferry+tcp://127.0.0.1:1"));
    }
}
