package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.protocol.MigrationFlags;
import org.junit.Test;

/** An unlucky operator's commands on either host while a migration of the domain is under way. */
public class OperatorRacesTest {
    private static final String VM = "vm1";

    /**
     * A define refused because an offline migration of the domain is arriving must leave the arrival's entry as it
     * was: dropped, the domain vanished from the destination's list, and a second define (here of the same name and
     * another UUID) was accepted mid-migration; the commit could then not install the definition it brought, while
     * its source undefined its own (--undefinesource): the domain was defined on neither host.
     */
    @Test
    public void aDefineRefusedDuringAnOfflineArrivalLeavesItsDomainClaimed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, MigrationFlags.parse("offline,persistent,undefinesource")).prepare();
        String impostor = TestHost.definition(VM).replace(TestHost.uuid(VM).toString(), TestHost.uuid("other").toString());

        DomainException refused = assertThrows(DomainException.class, () -> d.destination.domains().define(TestHost.definition(VM)));
        assertTrue(refused.getMessage(), refused.getMessage().contains("is being migrated"));
        assertEquals(run.begun.id(), d.destination.domain(VM).map(Domain::migration).orElse(null));
        assertThrows(DomainException.class, () -> d.destination.domains().define(impostor));

        run.perform().finish();
        run.confirm(false, null);
        assertEquals(TestHost.uuid(VM), d.destination.domain(VM).orElseThrow().persistent().uuid());
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
    }
}
