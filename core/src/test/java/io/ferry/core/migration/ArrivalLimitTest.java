package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * Every arriving migration holds something here until its driver finishes it or goes silent: a claim on its domain,
 * a journal record, and, live, a paused VM (a QEMU process), a data port and the thread that waits on it. A peer
 * that prepares migrations and keeps them alive must not take as many as it likes.
 */
public class ArrivalLimitTest {
    private static final String HOST_A = "CN=host-a";

    @Test
    public void aPeerHasAtMostItsShareOfArrivingMigrationsHereAndOthersAreNotHeldBack() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        for (int i = 0; i < DestinationPrepare.MAX_ARRIVING_PER_PEER; i++) {
            host.engine().prepare(prepare("a" + i), HOST_A);
        }
        Messages.Prepare oneMore = prepare("a-more");

        MigrationException refused = assertThrows(MigrationException.class, () -> host.engine().prepare(oneMore, HOST_A));

        assertEquals("certificate subject '" + HOST_A + "' has " + DestinationPrepare.MAX_ARRIVING_PER_PEER + " migrations arriving"
                + " here, the most one peer may have at once: migration " + oneMore.id() + " refused",
                refused.getMessage());
        assertTrue("a-more is not claimed here", host.domain("a-more").isEmpty());
        host.engine().prepare(prepare("b0"), "CN=host-b");
        host.engine().prepare(prepare("operator0"), null);
    }

    /** An offline Prepare of protocol 2 (no cookie baked on another host) of a domain new here. */
    private static Messages.Prepare prepare(String domain) throws Exception {
        return new Messages.Prepare(UUID.randomUUID().toString(), "k".repeat(40), MigrationFlags.parse("offline,v2"),
                TestHost.definition(domain), null, List.of(), "ferry+tls://host-a:16514");
    }
}
