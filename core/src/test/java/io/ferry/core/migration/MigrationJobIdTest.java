package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.Messages.Begin;
import java.util.UUID;
import org.junit.Test;

/**
 * A domain's job names the migration it is, on both sides and after it ended: what a {@code ferry migrate --verbose}
 * tells its own migration's progress from another's of the domain by (one that holds the domain while its Begin waits,
 * or one begun after its own ended).
 */
public class MigrationJobIdTest {
    private static final String VM = "vm1";

    @Test(timeout = 60_000)
    public void theJobOfAMigrationNamesTheIdItsDriverChose() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        String id = UUID.randomUUID().toString();

        d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, 0, id));

        assertEquals(id, d.source.engine().jobs().active(VM).orElseThrow().migration());
    }

    @Test(timeout = 60_000)
    public void bothSidesJobsNameTheirMigrationWhileItRunsAndOnceItEnded() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        String id = run.begun.id();

        assertEquals(id, d.source.engine().jobs().active(VM).orElseThrow().migration());
        assertEquals(id, d.destination.engine().jobs().active(VM).orElseThrow().migration());
        run.perform();
        run.confirm(false, run.finish().cookie());
        assertEquals(id, d.source.engine().jobs().lastEnded(VM).orElseThrow().migration());
        assertEquals(id, d.destination.engine().jobs().lastEnded(VM).orElseThrow().migration());
    }
}
