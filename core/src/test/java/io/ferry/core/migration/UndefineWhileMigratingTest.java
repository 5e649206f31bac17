package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.domain.DomainException;
import java.util.List;
import org.junit.Test;

/**
 * An {@code undefine} (with its snapshots or not) of a domain a migration claims is refused on either host, from
 * Begin to Confirm on the source and from Prepare to Finish on the destination, and changes nothing: the snapshots
 * the arrival staged are neither dropped under it nor left for another domain, and the migration goes on.
 */
public class UndefineWhileMigratingTest {
    private static final String VM = "vm1";
    private static final List<Snapshot> SNAPSHOTS = List.of(new Snapshot("s1", null, "<domainsnapshot><name>s1</name></domainsnapshot>"));

    @Test
    public void anUndefineOnEitherHostWaitsForTheMigrationsEnd() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM)); // shut off there, as a host the guest left before
        d.destination.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS);
        TwoDaemons.ByHand run = d.byHand(VM, TwoDaemons.PERSISTENT);
        // its snapshots on the source (after Begin: no section here carries them, and the fake store stages none)
        d.source.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS);
        run.prepare();
        String refusal = "Requested operation is not valid: domain vm1 is being migrated (migration " + run.begun.id() + ")";

        for (TestHost host : List.of(d.source, d.destination)) {
            DomainException refused = assertThrows(DomainException.class, () -> host.domains().undefine(VM,
                    domain -> host.snapshots.forget(domain.uuid())));
            assertEquals(host.name, refusal, refused.getMessage());
            assertEquals(host.name, SNAPSHOTS, host.snapshots.list(TestHost.uuid(VM)));
        }
        run.perform().finish();
        run.confirm(false, null);

        d.destination.assertRuns(VM, digest);
        assertTrue("still defined there", d.destination.domain(VM).orElseThrow().persistent() != null);
        assertEquals(SNAPSHOTS, d.destination.snapshots.list(TestHost.uuid(VM)));
    }
}
