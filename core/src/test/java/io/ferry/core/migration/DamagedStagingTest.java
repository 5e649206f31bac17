package io.ferry.core.migration;

import static io.ferry.core.migration.TwoDaemons.PERSISTENT_UNDEFINE_SOURCE;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * The definition a committed arrival staged ({@code incoming/ID.xml}) found damaged, emptied (a disk's error, a power
 * cut that a file system's lying cache let through) or deleted when recovery finishes the migration: the guest runs here, and it
 * keeps a definition, the one it runs, never none.
 */
public class DamagedStagingTest {
    private static final String VM = "vm1";

    @Test
    public void aCommittedArrivalWhoseStagedDefinitionIsEmptiedKeepsTheDefinitionItRuns() throws Exception {
        committedArrivalKeepsItsDefinition(new byte[512]);
    }

    @Test
    public void aCommittedArrivalWhoseStagedDefinitionIsDamagedKeepsTheDefinitionItRuns() throws Exception {
        committedArrivalKeepsItsDefinition("<domain type='fake'><name>vm1</name><uu".getBytes());
    }

    /**
     * The staged definition deleted (an operator cleaning up) while the destination was down: the domain ran there
     * transient for good, though --persistent asked for a definition, and the source kept its own. It is defined by
     * the definition it runs, as when the staging is damaged, and the source undefines its own.
     */
    @Test
    public void aCommittedArrivalWhoseStagedDefinitionIsDeletedKeepsTheDefinitionItRuns() throws Exception {
        committedArrivalKeepsItsDefinition(null);
    }

    /**
     * Offline, --undefinesource, the destination killed right after the commit and its staged definition damaged: the
     * domain lived in its memory only, so nothing there defines it after the restart. It still told the source it keeps
     * the definition, and the source undefined its own: the domain was defined on neither host. Now it says it keeps
     * none, and the source keeps its definition.
     */
    @Test
    public void anOfflineArrivalWhoseStagedDefinitionIsLostLetsTheSourceKeepItsOwn() throws Exception {
        offlineArrivalLetsTheSourceKeepItsOwn(new byte[64]);
    }

    /**
     * As above, the staged definition deleted (an operator cleaning up): the restart found neither the domain nor its
     * staging, recorded the arrival FINISHED and told the source it keeps the definition; the source undefined its
     * own, and the domain was defined on neither host.
     */
    @Test
    public void anOfflineArrivalWhoseStagedDefinitionIsDeletedLetsTheSourceKeepItsOwn() throws Exception {
        offlineArrivalLetsTheSourceKeepItsOwn(null);
    }

    /** @param damage what the staged definition is overwritten with; null, it is deleted */
    private static void offlineArrivalLetsTheSourceKeepItsOwn(byte[] damage) throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, new MigrationFlags(false, false, false, true, true, true, false)).prepare()
                .perform();
        String id = run.begun.id();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        Path staged = d.destination.stateDir.resolve("incoming").resolve(id + ".xml");
        if (damage == null) {
            Files.delete(staged);
        } else {
            Files.write(staged, damage);
        }

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        run.confirm(false, null);

        assertEquals(Step.CONFIRMED, d.source.journal.find(id).orElseThrow().step());
        assertEquals("the source keeps its definition", VM, d.source.domain(VM).orElseThrow().persistent().name());
    }

    /** @param damage what the staged definition is overwritten with; null, it is deleted */
    private static void committedArrivalKeepsItsDefinition(byte[] damage) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, PERSISTENT_UNDEFINE_SOURCE).prepare().perform();
        String id = run.begun.id();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        Path staged = d.destination.stateDir.resolve("incoming").resolve(id + ".xml");
        if (damage == null) {
            Files.delete(staged);
        } else {
            Files.write(staged, damage);
        }

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        run.confirm(false, run.finish().cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
        assertEquals(Step.FINISHED, d.destination.journal.find(id).orElseThrow().step());
        assertFalse("the damaged staging is left for the next start", Files.exists(staged));
        assertEquals("the damaged staging is kept for the operator", damage != null,
                Files.exists(staged.resolveSibling(id + ".xml.damaged")));
        d.destination.restart();
        d.destination.assertRuns(VM, digest);
        assertEquals("the definition is stored", VM, d.destination.domain(VM).orElseThrow().persistent().name());
        d.destination.engine().begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0)); // may migrate on
    }
}
