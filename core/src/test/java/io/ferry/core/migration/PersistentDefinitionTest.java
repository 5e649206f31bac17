package io.ferry.core.migration;

import static io.ferry.core.migration.TwoDaemons.PERSISTENT_UNDEFINE_SOURCE;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.cookie.TextSection;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Test;

/** The persistent definition a migration brings ({@code --persistent}, offline): which one, and only the domain's. */
public class PersistentDefinitionTest {
    private static final String VM = "vm1";

    /**
     * --persistent --undefinesource with no definition in the cookie (the source's persistent section is gone, or
     * its bake failed): as libvirt, the destination defines the domain by the definition it runs, so that the
     * definition the source drops at Confirm is not lost on both hosts.
     */
    @Test
    public void withoutADefinitionInTheCookieTheDestinationDefinesTheOneTheDomainRuns() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.persistentSection = false;

        d.migrate(VM, PERSISTENT_UNDEFINE_SOURCE);

        d.destination.assertRuns(VM, digest);
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
        d.destination.restart();
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
    }

    /**
     * A domain redefined while it runs (its next boot's definition, libvirt's newDef) migrates --persistent
     * --undefinesource: the destination keeps the definition its source had stored, not the one the guest ran, as
     * libvirt's Perform puts vm->newDef in the cookie. The one the guest ran went, and with it the operator's change, on
     * both hosts. With --dname, under the new name.
     */
    @Test
    public void aDefinitionChangedWhileTheDomainRanIsTheOneTheDestinationKeeps() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String changed = TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>4</vcpu>");
        d.source.domains().define(changed);
        assertEquals("the guest runs on as it was", 1, d.source.domain(VM).orElseThrow().live().vcpus());

        d.migrate(VM, PERSISTENT_UNDEFINE_SOURCE);

        d.destination.assertRuns(VM, digest);
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
        assertEquals(1, d.destination.domain(VM).orElseThrow().live().vcpus());
        assertEquals("the definition stored on the source", 4, d.destination.domain(VM).orElseThrow().persistent().vcpus());

        d.driver().run(d.peer(d.destination), d.peer(d.source), new Messages.Migrate(VM, d.source.uri,
                PERSISTENT_UNDEFINE_SOURCE, "vm2", null, 0));
        assertEquals(4, d.source.domain("vm2").orElseThrow().persistent().vcpus());
        assertEquals("vm2", d.source.domain("vm2").orElseThrow().persistent().name());
    }

    /**
     * As above, with a definition the operator gives (--xml): that one is what the destination keeps, and the source
     * keeps its stored one. With --undefinesource the stored one would be gone from both hosts (it used to be): Begin
     * refuses, under either protocol, until the operator says with --persistent-xml which the destination keeps.
     */
    @Test
    public void aDefinitionTheOperatorGivesIsTheOneTheDestinationKeepsOverOneChangedWhileTheDomainRan() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // no leases: protocol 2 too
        String digest = d.source.boot(VM);
        d.source.domains().define(TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>4</vcpu>"));
        String given = TestHost.definition(VM);
        String refusal = "the stored definition of domain vm1 (its next boot's) is not the one it runs: the destination"
                + " would keep the --xml definition, and --undefinesource would drop the stored one from this host, gone"
                + " from both; give the definition the destination is to keep with --persistent-xml";
        for (MigrationFlags flags : List.of(PERSISTENT_UNDEFINE_SOURCE, PERSISTENT_UNDEFINE_SOURCE.withV2())) {
            ChannelException e = assertThrows(ChannelException.class, () -> d.peer(d.source).begin(
                    new Messages.Begin(VM, flags, null, given, null, 0, null)));
            assertTrue(e.getMessage(), e.getMessage().contains(refusal));
            assertNull("the domain is claimed", d.source.domain(VM).orElseThrow().migration());
        }
        assertEquals("still stored", 4, d.source.domain(VM).orElseThrow().persistent().vcpus());

        d.driver().run(d.peer(d.source), d.peer(d.destination), new Messages.Migrate(VM, d.destination.uri,
                new MigrationFlags(true, false, false, false, true, false, false), null, given, 0));

        d.destination.assertRuns(VM, digest);
        assertEquals("the operator's definition", 1, d.destination.domain(VM).orElseThrow().persistent().vcpus());
        assertEquals("the source's stored one stays", 4, d.source.domain(VM).orElseThrow().persistent().vcpus());
    }

    /**
     * libvirt's --persistent-xml: the definition the destination keeps is the one the operator gives for it, whatever
     * the guest runs and the source has stored; under --dname, it names the domain by its new name.
     */
    @Test
    public void aDefinitionGivenForTheDestinationToKeepIsTheOneItKeeps() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.domains().define(TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>4</vcpu>"));
        String kept = TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>");

        d.driver().run(d.peer(d.source), d.peer(d.destination), new Messages.Migrate(VM, d.destination.uri,
                PERSISTENT_UNDEFINE_SOURCE, null, null, kept, 0, null));

        d.destination.assertRuns(VM, digest);
        assertEquals("the guest runs on as it was", 1, d.destination.domain(VM).orElseThrow().live().vcpus());
        assertEquals("the definition given", 2, d.destination.domain(VM).orElseThrow().persistent().vcpus());
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
        d.destination.restart();
        assertEquals("stored", 2, d.destination.domain(VM).orElseThrow().persistent().vcpus());

        String renamed = definitionNamed("vm2", TestHost.uuid(VM)).replace("<vcpu>1</vcpu>", "<vcpu>3</vcpu>");
        d.driver().run(d.peer(d.destination), d.peer(d.source), new Messages.Migrate(VM, d.source.uri,
                PERSISTENT_UNDEFINE_SOURCE, "vm2", null, renamed, 0, null));
        assertEquals(3, d.source.domain("vm2").orElseThrow().persistent().vcpus());
    }

    /**
     * An interface of the --persistent-xml definition that names no MAC address gets one, as one defined does: the
     * destination keeps the definition for the guest's next boot, where QEMU would give it the address every guest's
     * first NIC has (52:54:00:12:34:56).
     */
    @Test
    public void anInterfaceWithoutAnAddressInTheDefinitionGivenToKeepGetsOne() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        String kept = TestHost.definition(VM).replace("</devices>", "<interface type='user'/></devices>");

        d.driver().run(d.peer(d.source), d.peer(d.destination), new Messages.Migrate(VM, d.destination.uri,
                PERSISTENT_UNDEFINE_SOURCE, null, null, kept, 0, null));

        String mac = d.destination.domain(VM).orElseThrow().persistent().nics().get(0).mac();
        assertTrue(mac, mac != null && mac.matches("52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}"));
        assertTrue("the guest runs on as it was", d.destination.domain(VM).orElseThrow().live().nics().isEmpty());
    }

    /** A blank --dname renames nothing, as virsh's: the domain and the definition given for it keep their name. */
    @Test
    public void aBlankNewNameKeepsTheDomainsName() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String kept = TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>");

        d.driver().run(d.peer(d.source), d.peer(d.destination), new Messages.Migrate(VM, d.destination.uri,
                PERSISTENT_UNDEFINE_SOURCE, " ", null, kept, 0, null));

        d.destination.assertRuns(VM, digest);
        assertEquals(VM, d.destination.domain(VM).orElseThrow().live().name());
        assertEquals("the definition given", 2, d.destination.domain(VM).orElseThrow().persistent().vcpus());
    }

    /**
     * A definition given for the destination to keep that is not the domain's under the name it arrives by, or is no
     * definition, or comes without --persistent (the destination would keep none) or under protocol 2 (no cookie would
     * carry it), refuses Begin by what is wrong: nothing is claimed, the guest runs on, and it may migrate next.
     */
    @Test
    public void aDefinitionGivenForTheDestinationToKeepThatIsNotTheDomainsIsRefusedAtBegin() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String own = TestHost.definition(VM);
        String xxe = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                + own.replace("<vcpu>1</vcpu>", "<vcpu>1</vcpu><description>&x;</description>");
        assertBeginRefused(d, TwoDaemons.LIVE, null, own,
                "--persistent-xml requires --persistent: without it the destination keeps no definition");
        assertBeginRefused(d, PERSISTENT_UNDEFINE_SOURCE.withV2(), null, own, "--persistent-xml needs migration protocol 3,"
                + " whose cookie carries the definition: a daemon of this migration speaks protocol 2 only");
        assertBeginRefused(d, PERSISTENT_UNDEFINE_SOURCE, null, TestHost.definition("vm2"),
                "the --persistent-xml definition is of domain 'vm2' (" + TestHost.uuid("vm2") + "), not of 'vm1' ("
                        + TestHost.uuid(VM) + ") that arrives at the destination");
        assertBeginRefused(d, PERSISTENT_UNDEFINE_SOURCE, null, definitionNamed("vm1", TestHost.uuid("vm2")),
                "the --persistent-xml definition is of domain 'vm1' (" + TestHost.uuid("vm2") + "), not of 'vm1' ("
                        + TestHost.uuid(VM) + ") that arrives at the destination");
        assertBeginRefused(d, PERSISTENT_UNDEFINE_SOURCE, "vm3", own,
                "the --persistent-xml definition is of domain 'vm1' (" + TestHost.uuid(VM) + "), not of 'vm3' ("
                        + TestHost.uuid(VM) + ") that arrives at the destination");
        assertBeginRefused(d, PERSISTENT_UNDEFINE_SOURCE, null, xxe, "a DOCTYPE is not allowed (DTDs and entities are refused)");
        assertBeginRefused(d, PERSISTENT_UNDEFINE_SOURCE, null, "<domain", "--persistent-xml: ");

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        d.migrate(VM, PERSISTENT_UNDEFINE_SOURCE);
        d.destination.assertRuns(VM, digest);
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
    }

    private static void assertBeginRefused(TwoDaemons d, MigrationFlags flags, String dname, String persistentXml,
            String refusal) {
        ChannelException e = assertThrows(ChannelException.class, () -> d.peer(d.source).begin(
                new Messages.Begin(VM, flags, dname, null, persistentXml, 0, null)));
        assertTrue(e.getMessage(), e.getMessage().contains(refusal));
        assertFalse(d.source.engine().jobs().active(VM).isPresent());
        assertNull("the domain is claimed", d.source.domain(VM).orElseThrow().migration());
    }

    private static String definitionNamed(String name, UUID uuid) {
        return TestHost.definition(VM).replace("<name>" + VM + "</name>", "<name>" + name + "</name>")
                .replace(TestHost.uuid(VM).toString(), uuid.toString());
    }

    /**
     * A peer that prepares an offline migration of its own ("x") and puts another domain's definition ("victim",
     * disk /etc/shadow) in its Finish cookie: Finish is refused, and the victim's stored definition stays its own.
     */
    @Test
    public void aFinishCookieCannotRedefineAnotherDomain() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.boot("victim");
        Path victim = host.stateDir.resolve("domains/victim.xml");
        String before = Files.readString(victim);
        String id = UUID.randomUUID().toString();
        String key = "k".repeat(40);
        String header = "<qemu-migration><name>x</name><uuid>" + TestHost.uuid("x") + "</uuid><hostname>peer</hostname>"
                + "<hostuuid>" + UUID.randomUUID() + "</hostuuid>";
        host.engine().prepare(new Messages.Prepare(id, key, MigrationFlags.parse("offline,persistent"), TestHost.definition("x"),
                header + "</qemu-migration>", List.of(new Messages.SectionVersion("persistent", "1.0")), null));
        String other = TestHost.definition("victim").replace("/disks/victim.img", "/etc/shadow");

        MigrationException refused = assertThrows(MigrationException.class,
                () -> host.engine().finish(new Messages.Finish(id, key, false, header + other + "</qemu-migration>")));

        assertTrue(refused.getMessage(), refused.getMessage().contains("is of domain 'victim'"));
        assertEquals(before, Files.readString(victim));
        assertEquals("/disks/victim.img", host.domain("victim").orElseThrow().persistent().disks().get(0).source());
        assertTrue("x is not defined", host.domain("x").isEmpty());
    }

    /**
     * A Finish cookie whose definition is another domain's, or no domain definition at all, is refused before any
     * section acts on it: a cookie is checked whole first (libvirt parses its {@code <domain>} with the rest of it),
     * or the network section would write the port data of a migration Finish then refuses into this host's OVSDB.
     */
    @Test
    public void aFinishCookieWithABadDefinitionIsRefusedBeforeAnySectionEatsIt() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.boot("victim");
        List<String> eaten = new CopyOnWriteArrayList<>();
        host.extraSections.add(TestSections.handle(new RecordingSection(eaten), "recorder", "recorder", Mandatory.NEVER,
                List.of(Phase.PERFORM), List.of(Phase.FINISH)));
        String header = "<qemu-migration><name>x</name><uuid>" + TestHost.uuid("x") + "</uuid><hostname>peer</hostname>"
                + "<hostuuid>" + UUID.randomUUID() + "</hostuuid>";
        String victims = TestHost.definition("victim");
        String malformed = "<domain type='" + FakeHypervisor.TYPE + "'><name>x</name></domain>";
        for (String definition : List.of(victims, malformed)) {
            String id = UUID.randomUUID().toString();
            String key = "k".repeat(40);
            host.engine().prepare(new Messages.Prepare(id, key, MigrationFlags.parse("offline,persistent"), TestHost.definition("x"),
                    header + "</qemu-migration>", List.of(new Messages.SectionVersion("persistent", "1.0"),
                            new Messages.SectionVersion("recorder", "1.0")), null));

            assertThrows(Exception.class, () -> host.engine().finish(new Messages.Finish(id, key, false,
                    header + definition + "<recorder>port data</recorder></qemu-migration>")));

            assertEquals("sections that ate the cookie of a Finish refused for " + definition, List.of(), eaten);
        }
    }

    /**
     * A live migration without --persistent leaves the destination's own definition of the domain as it was, though
     * the Perform cookie carries a {@code <domain>} (a source that always sends one, as older libvirt does, or a
     * hostile one, here with another disk): libvirt keeps the cookie's definition only with VIR_MIGRATE_PERSIST_DEST.
     */
    @Test
    public void withoutPersistentTheCookiesDefinitionDoesNotReplaceTheDestinations() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM));
        Path stored = d.destination.stateDir.resolve("domains/" + VM + ".xml");
        String before = Files.readString(stored);
        TwoDaemons.ByHand m = d.byHand(VM).prepare().perform();
        String otherDisk = TestHost.definition(VM).replace("/disks/" + VM + ".img", "/etc/shadow");
        m.performed = new Messages.Performed(m.performed.id(), m.performed.cookie().replace("</qemu-migration>",
                otherDisk + "</qemu-migration>"));

        m.confirm(false, m.finish().cookie());

        d.destination.assertRuns(VM, digest);
        assertEquals(before, Files.readString(stored));
        assertEquals("/disks/" + VM + ".img", d.destination.domain(VM).orElseThrow().persistent().disks().get(0).source());
    }

    /** A section that notes each value it eats. */
    private static final class RecordingSection extends TextSection {
        private final List<String> eaten;

        RecordingSection(List<String> eaten) {
            this.eaten = eaten;
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.empty();
        }

        @Override
        public void eat(SectionContext context, String value) {
            eaten.add(value);
        }
    }
}
