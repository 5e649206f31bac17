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
 * A definition's {@code <emulator>} is the program a destination starts for the guest. A peer daemon takes part in
 * migrations, it is no operator of this host: its Prepare may name a QEMU binary or none, not any program.
 */
public class PeerDefinitionTest {
    private static final String PEER = "CN=host-a";

    @Test
    public void aPeersDefinitionNamingAProgramOtherThanQemuIsRefusedAndNothingIsClaimed() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        for (String program : List.of("/bin/sh", "/usr/bin/qemu-system-x86_64/../../bin/sh", "", " /usr/bin/perl ")) {
            Messages.Prepare prepare = prepare("vm", program);
            MigrationException refused = assertThrows(program, MigrationException.class, () -> host.engine().prepare(prepare, PEER));
            assertEquals("certificate subject '" + PEER + "' may not have this host start emulator '" + program.strip()
                    + "': a peer's definition names a QEMU binary (qemu-system-*, qemu-kvm) or none; an operator may"
                    + " migrate it client-managed", refused.getMessage());
            assertTrue("nothing claimed for " + program, host.domain("vm").isEmpty());
        }
    }

    @Test
    public void aPeersDefinitionMayNameQemuOrNoEmulatorAndAnOperatorsAnyProgram() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.engine().prepare(prepare("qemu", "/usr/bin/qemu-system-x86_64"), PEER);
        host.engine().prepare(prepare("rhel", "/usr/libexec/qemu-kvm"), PEER);
        host.engine().prepare(prepare("none", null), PEER);
        host.engine().prepare(prepare("wrapped", "/opt/site/qemu-wrapper"), null);
        for (String domain : List.of("qemu", "rhel", "none", "wrapped")) {
            assertTrue(domain + " is prepared", host.domain(domain).isPresent());
        }
    }

    /** The driver's word on the host files a definition names (the QEMU driver's PeerFiles): a peer's is refused. */
    @Test
    public void aPeersDefinitionNamingHostFilesItsDriverRefusesIsRefusedAndAnOperatorsIsNot() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.hypervisor.peerMayNotName = "/disks/vm.img";
        MigrationException refused = assertThrows(MigrationException.class, () -> host.engine().prepare(prepare("vm", null), PEER));
        assertEquals("certificate subject '" + PEER + "' may not bring the definition of domain 'vm': '/disks/vm.img' is no file a"
                + " peer may name; an operator may migrate it client-managed", refused.getMessage());
        assertTrue("nothing claimed", host.domain("vm").isEmpty());
        host.engine().prepare(prepare("vm", null), null);
        assertTrue("an operator's is prepared", host.domain("vm").isPresent());
    }

    /**
     * The persistent definition a Perform cookie carries is what the destination defines, and starts at the next
     * {@code start}: the peer that prepared the migration brought it, whoever calls Finish, and it is checked as
     * Prepare's. A peer that prepared a harmless definition and put {@code /bin/sh}, or a file its driver refuses, in
     * its Finish cookie had it defined here.
     */
    @Test
    public void aPeersPersistentDefinitionInFinishIsCheckedAsItsPrepareIs() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.hypervisor.peerMayNotName = "/etc/shadow";
        String shell = TestHost.definition("x").replace("<devices>", "<devices><emulator>/bin/sh</emulator>");
        String shadow = TestHost.definition("x").replace("/disks/x.img", "/etc/shadow");

        MigrationException refused = assertThrows(MigrationException.class, () -> finishWith(host, PEER, shell));
        assertEquals("certificate subject '" + PEER + "' may not have this host start emulator '/bin/sh': a peer's definition"
                + " names a QEMU binary (qemu-system-*, qemu-kvm) or none; an operator may migrate it client-managed",
                refused.getMessage());
        assertTrue("x is not defined", host.domain("x").isEmpty());
        refused = assertThrows(MigrationException.class, () -> finishWith(host, PEER, shadow));
        assertEquals("certificate subject '" + PEER + "' may not bring the definition of domain 'x': '/etc/shadow' is no file a"
                + " peer may name; an operator may migrate it client-managed", refused.getMessage());
        assertTrue("x is not defined", host.domain("x").isEmpty());

        finishWith(host, null, shadow);
        assertEquals("an operator's migration defines what it brings", "/etc/shadow",
                host.domain("x").orElseThrow().persistent().disks().get(0).source());
    }

    /**
     * Each disk of a definition is a lease the destination's Finish takes: with the file lock manager, a file made in
     * the lease directory every host shares, kept for good, and held open with the others while they are taken. A
     * peer's guest with thousands of made-up disks left thousands of files there at each Finish, and held as many file
     * descriptors of the daemon at once; its Prepare is refused now, an operator's is not.
     */
    @Test
    public void aPeersDefinitionWithMoreThan256DisksIsRefusedAndAnOperatorsIsNot() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        StringBuilder disks = new StringBuilder();
        for (int i = 0; i < PeerDefinitions.MAX_DISKS + 1; i++) {
            disks.append("<disk type='file'><source file='/disks/made-up-").append(i).append(".img'/></disk>");
        }
        String definition = TestHost.definition("vm").replace("</devices>", disks + "</devices>");
        Messages.Prepare prepare = new Messages.Prepare(UUID.randomUUID().toString(), "k".repeat(40),
                MigrationFlags.parse("offline,v2"), definition, null, List.of(), "ferry+tls://host-a:16514");

        MigrationException refused = assertThrows(MigrationException.class, () -> host.engine().prepare(prepare, PEER));

        assertEquals("certificate subject '" + PEER + "' may not bring domain 'vm' with 258 disks: a peer's guest has at"
                + " most 256, each a lease taken here; an operator may migrate it client-managed", refused.getMessage());
        assertTrue("nothing claimed", host.domain("vm").isEmpty());
        host.engine().prepare(prepare, null);
        assertTrue("an operator's is prepared", host.domain("vm").isPresent());
    }

    /** An offline --persistent migration of a new domain "x", prepared by {@code peer}, finished with {@code definition}. */
    private static void finishWith(TestHost host, String peer, String definition) throws Exception {
        String id = UUID.randomUUID().toString();
        String key = "k".repeat(40);
        String header = "<qemu-migration><name>x</name><uuid>" + TestHost.uuid("x") + "</uuid><hostname>peer</hostname>"
                + "<hostuuid>" + UUID.randomUUID() + "</hostuuid>";
        host.engine().prepare(new Messages.Prepare(id, key, MigrationFlags.parse("offline,persistent"), TestHost.definition("x"),
                header + "</qemu-migration>", List.of(new Messages.SectionVersion("persistent", "1.0")), null), peer);
        host.engine().finish(new Messages.Finish(id, key, false, header + definition + "</qemu-migration>"));
    }

    /** An offline Prepare of protocol 2 of a domain new here, whose devices name {@code emulator} (null: none). */
    private static Messages.Prepare prepare(String domain, String emulator) throws Exception {
        String definition = TestHost.definition(domain);
        if (emulator != null) {
            definition = definition.replace("<devices>", "<devices><emulator>" + emulator + "</emulator>");
        }
        return new Messages.Prepare(UUID.randomUUID().toString(), "k".repeat(40), MigrationFlags.parse("offline,v2"),
                definition, null, List.of(), "ferry+tls://host-a:16514");
    }
}
