package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.Messages.SectionVersion;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/** Where a domain's persistent definition ends up: {@code --offline}, {@code --persistent}, {@code --undefinesource}. */
public class MigrationPersistenceIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.standard();
    /** live, persistent, undefinesource */
    private static final MigrationFlags FLAGS = new MigrationFlags(true, false, false, false, true, true, false);

    @Test
    public void offlineMigrationDefinesTheDomainOnTheDestinationAndTheSourceKeepsIt() throws Exception {
        SimDomain vm = SimDomain.idle("offline-kept-vm", 16);
        String digest = definedAndShutOff(vm);

        HOSTS.migrateOk(vm.name(), "--offline", "--persistent");

        assertEquals(Optional.of("shut off"), HOSTS.destination.listedState(vm.name()));
        assertEquals("yes", HOSTS.destination.dominfo(vm.name()).get("Persistent"));
        assertEquals(Optional.of("shut off"), HOSTS.source.listedState(vm.name()));
        assertEquals(vm.uuid().toString(), HOSTS.destination.dominfo(vm.name()).get("UUID"));
        HOSTS.destination.ferryOk("start", vm.name());
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void offlineMigrationWithUndefineSourceMovesTheDefinition() throws Exception {
        SimDomain vm = SimDomain.idle("offline-moved-vm", 16);
        String digest = definedAndShutOff(vm);

        HOSTS.migrateOk(vm.name(), "--offline", "--persistent", "--undefinesource");

        assertEquals(Optional.of("shut off"), HOSTS.destination.listedState(vm.name()));
        assertEquals(Optional.empty(), HOSTS.source.listedState(vm.name()));
        HOSTS.destination.ferryOk("start", vm.name());
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void offlineMigrationNeedsPersistent() throws Exception {
        SimDomain vm = SimDomain.idle("offline-refused-vm", 16);
        String digest = HOSTS.source.boot(vm);

        Installation.Result result = HOSTS.migrate(vm.name(), "--offline");

        assertEquals(result.toString(), 1, result.exit());
        assertEquals(result.err(), 1, result.err().lines().count());
        assertTrue(result.err(), result.err().contains("offline migration requires a persistent domain and --persistent"));
        assertEquals(Optional.empty(), HOSTS.destination.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
    }

    @Test
    public void liveMigrationWithPersistentAndUndefineSourceMovesTheDomainForGood() throws Exception {
        SimDomain vm = SimDomain.idle("moved-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live", "--persistent", "--undefinesource");

        assertEquals("yes", HOSTS.destination.dominfo(vm.name()).get("Persistent"));
        assertEquals(Optional.empty(), HOSTS.source.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    /**
     * virsh's --persistent-xml, peer to peer: the destination keeps the definition given (more memory at the next boot),
     * while the guest runs on as it ran.
     */
    @Test
    public void aDefinitionGivenWithPersistentXmlIsTheOneTheDestinationKeeps() throws Exception {
        SimDomain vm = SimDomain.idle("persistent-xml-vm", 16);
        String digest = HOSTS.source.boot(vm);
        Path kept = vm.withMemoryMiB(32).file();

        HOSTS.migrateOk(vm.name(), "--live", "--p2p", "--persistent", "--undefinesource", "--persistent-xml", kept.toString());

        assertEquals("the guest runs on as it ran", "16384 KiB", HOSTS.destination.dominfo(vm.name()).get("Max memory"));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
        assertEquals(Optional.empty(), HOSTS.source.listedState(vm.name()));
        HOSTS.destination.ferryOk("destroy", vm.name());
        assertEquals("the definition given", "32768 KiB", HOSTS.destination.dominfo(vm.name()).get("Max memory"));
    }

    /**
     * The same through a driver that passes every section on but persistent: Perform is refused before any memory
     * moves. Had it gone on, the destination would have kept the definition the guest runs, and the one given would
     * have been lost.
     */
    @Test
    public void aDefinitionToKeepIsNotDroppedByADriverThatDropsThePersistentSection() throws Exception {
        ByHand m = ByHand.begunWithDefinitionToKeep("unlisted-persistent-xml-vm");
        Begun begun = m.begun();
        Prepared prepared = m.destination().prepare(new Prepare(begun.id(), begun.key(), FLAGS, begun.domainXml(),
                begun.cookie(), allButPersistent(begun.sections()), m.source().uri()));

        ChannelException refused = assertThrows(ChannelException.class, () -> m.source().perform(new Perform(begun.id(),
                begun.key(), prepared.dataUri(), prepared.cookie(), m.destination().uri(),
                allButPersistent(prepared.sections()))));

        assertTrue(refused.getMessage(), refused.getMessage().contains("lack cookie section persistent"));
        m.destination().finish(new Finish(begun.id(), begun.key(), true, null));
        m.cancelledRunsOnTheSourceWithItsDefinition();
    }

    /**
     * A driver that passes no sections on (another make than Ferry's) is refused at Prepare: the Begin cookie carries
     * the guest's lease state, which is mandatory and which the destination then shares no section to read (a diskless
     * guest's too, since its own lease travels).
     */
    @Test
    public void aDriverThatPassesNoSectionsOnIsRefusedAtPrepare() throws Exception {
        ByHand m = ByHand.begunWithDefinitionToKeep("no-sections-vm");
        Begun begun = m.begun();

        ChannelException refused = assertThrows(ChannelException.class, () -> m.destination().prepare(new Prepare(
                begun.id(), begun.key(), FLAGS, begun.domainXml(), begun.cookie(), null, m.source().uri())));

        assertTrue(refused.getMessage(), refused.getMessage().contains("Unknown migration cookie feature lockstate"));
        m.cancelledRunsOnTheSourceWithItsDefinition();
    }

    /**
     * An idle guest booted on the source and its migration begun, phase by phase over the control channel, with a
     * definition to keep that differs from the one the guest runs (32 MiB, where it runs with 16).
     */
    private record ByHand(SimDomain vm, String digest, HttpPeer source, HttpPeer destination, Begun begun) {
        static ByHand begunWithDefinitionToKeep(String name) throws Exception {
            SimDomain vm = SimDomain.idle(name, 16);
            String digest = HOSTS.source.boot(vm);
            HttpPeer source = new HttpPeer(new ControlClient(HOSTS.source.url()));
            Begun begun = source.begin(new Begin(vm.name(), FLAGS, null, null,
                    Files.readString(vm.withMemoryMiB(32).file()), 0, null));
            return new ByHand(vm, digest, source, new HttpPeer(new ControlClient(HOSTS.destination.url())), begun);
        }

        /** The source told the migration failed: the guest runs there alone, with its definition. */
        void cancelledRunsOnTheSourceWithItsDefinition() throws Exception {
            source.confirm(new Confirm(begun.id(), begun.key(), true, null));
            HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
            assertEquals("yes", HOSTS.source.dominfo(vm.name()).get("Persistent"));
            assertEquals(Optional.empty(), HOSTS.destination.listedState(vm.name()));
        }
    }

    private static List<SectionVersion> allButPersistent(List<SectionVersion> sections) {
        return sections.stream().filter(section -> !section.feature().equals("persistent")).toList();
    }

    @Test
    public void liveMigrationWithoutPersistentLeavesATransientDomain() throws Exception {
        SimDomain vm = SimDomain.idle("transient-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live");

        assertEquals("no", HOSTS.destination.dominfo(vm.name()).get("Persistent"));
        assertEquals(Optional.of("shut off"), HOSTS.source.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    /**
     * Defines {@code vm} on the source, boots it once and destroys it: the digest it had is the one its definition
     * boots with on any host, so the destination must show it when it starts the definition that arrived.
     */
    private static String definedAndShutOff(SimDomain vm) throws Exception {
        String digest = HOSTS.source.boot(vm);
        HOSTS.source.ferryOk("destroy", vm.name());
        assertEquals(Optional.of("shut off"), HOSTS.source.listedState(vm.name()));
        return digest;
    }
}
