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
