package io.ferry.core.migration;

import static io.ferry.core.migration.TwoDaemons.PERSISTENT_UNDEFINE_SOURCE;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.builtin.PersistentSection;
import io.ferry.core.cookie.TestSections;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import java.util.List;
import java.util.Optional;
import org.junit.Test;
import org.w3c.dom.Element;

/**
 * A --persistent migration whose domain is to keep a definition other than the one its guest runs (here one defined
 * while it ran) never goes without it: the destination would keep the one the guest runs, and --undefinesource would
 * drop the other from the source. Refused, whichever way the section that carries it is missing; the guest runs on at
 * the source with that definition, and the destination keeps nothing of it.
 */
public class DefinitionCarriedTest {
    private static final String VM = "vm1";

    /** A driver that passes no sections on (another make of driver): Perform refuses before any memory moves. */
    @Test
    public void aDriverListingNoSectionsHasPerformRefusedBeforeTheMemoryMoves() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = bootRedefined(d);
        TwoDaemons.ByHand run = d.byHand(VM, PERSISTENT_UNDEFINE_SOURCE).listingNoSections().prepare();

        ChannelException refused = assertThrows(ChannelException.class, run::perform);

        assertTrue(refused.getMessage(), refused.getMessage().contains("the destination's sections given to Perform lack"
                + " cookie section persistent"));
        assertNull("no memory left", d.source.vm(VM).runningWhenMemoryLeft);
        run.cancel();
        assertKeptAtTheSource(d, digest);
    }

    /** A driver that lists the sections to Perform only: the definition comes, unread, and Finish refuses it. */
    @Test
    public void aDefinitionBroughtToADestinationWhosePrepareListedNoSectionsIsRefusedAtFinish() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = bootRedefined(d);
        TwoDaemons.ByHand run = d.byHand(VM, PERSISTENT_UNDEFINE_SOURCE);
        run.prepared = d.peer(d.destination).prepare(new Messages.Prepare(run.begun.id(), run.begun.key(),
                PERSISTENT_UNDEFINE_SOURCE, run.begun.domainXml(), run.begun.cookie(), null, d.source.uri));
        run.perform();
        assertTrue("the definition goes in the Perform cookie", run.performed.cookie().contains("<vcpu>4</vcpu>"));

        ChannelException refused = assertThrows(ChannelException.class, run::finish);

        assertTrue(refused.getMessage(), refused.getMessage().contains("its Prepare listed no cookie section persistent"));
        run.confirm(true, null);
        assertKeptAtTheSource(d, digest);
    }

    /** The section's bake fails (here at the switch-over): Perform fails, and the source takes its guest back. */
    @Test
    public void aPerformWhoseDefinitionWasNotBakedFailsAndTheSourceResumes() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.persistentSection = false;
        d.source.extraSections.add(TestSections.handle(new UnbakedDefinition(), "persistent", "domain", Mandatory.NEVER,
                List.of(Phase.PERFORM), List.of(Phase.FINISH)));
        String digest = bootRedefined(d);
        TwoDaemons.ByHand run = d.byHand(VM, PERSISTENT_UNDEFINE_SOURCE).prepare();

        ChannelException refused = assertThrows(ChannelException.class, run::perform);

        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section persistent baked none into the"
                + " Perform cookie"));
        run.cancel();
        assertKeptAtTheSource(d, digest);
    }

    /**
     * Protocol 2 carries no cookie, so no definition: the destination would keep the one the guest runs, and
     * --undefinesource dropped the other from the source. Begin refuses, as it refuses --persistent-xml there.
     */
    @Test
    public void aDomainDefinedAnewWhileItRanDoesNotMigrateWithPersistentUnderProtocol2() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // protocol 2 and a lock manager exclude each other
        String digest = bootRedefined(d);

        ChannelException refused = assertThrows(ChannelException.class, () -> d.migrate(VM, PERSISTENT_UNDEFINE_SOURCE.withV2()));

        assertTrue(refused.getMessage(), refused.getMessage().contains("the stored definition of domain vm1 (its next"
                + " boot's) is not the one it runs, and migration protocol 2 carries no definition: the destination would keep"
                + " the one it runs, and the stored one would be gone from this host too; migrate it with protocol 3, or"
                + " without --persistent"));
        assertKeptAtTheSource(d, digest);
        d.migrate(VM, PERSISTENT_UNDEFINE_SOURCE);
        assertEquals("with protocol 3 it goes, and its new definition with it", 4,
                d.destination.domain(VM).orElseThrow().persistent().vcpus());
    }

    /** Boots the domain, then defines it anew for its next boot (4 vCPUs, the guest running on with 1). */
    private static String bootRedefined(TwoDaemons d) throws Exception {
        String digest = d.source.boot(VM);
        d.source.domains().define(TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>4</vcpu>"));
        return digest;
    }

    private static void assertKeptAtTheSource(TwoDaemons d, String digest) {
        d.source.assertRuns(VM, digest);
        assertEquals("the definition for its next boot, on the source", 4,
                d.source.domain(VM).orElseThrow().persistent().vcpus());
        d.destination.assertGone(VM);
        assertTrue("nothing defined at the destination", d.destination.domain(VM).map(v -> v.persistent() == null).orElse(true));
    }

    /** The core's persistent section, but its bake fails. */
    private static final class UnbakedDefinition extends PersistentSection {
        @Override
        public Optional<Element> bake(SectionContext context) throws CookieException {
            throw new CookieException("no definition today");
        }
    }
}
