package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The QEMU driver's word on a peer's definition beyond its files ({@link PeerFilesTest}): its NICs. */
public class QemuPeerDefinitionTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    /**
     * QEMU's user-mode network takes a guest's connections to its gateway (10.0.2.2) to this host's loopback: a peer
     * whose guest it is would reach the services there that trust local clients.
     */
    @Test
    public void aPeersGuestMayNotHaveQemusUserModeNetwork() throws Exception {
        // the test guest's kernel is counted as shared storage, so that only the NICs decide
        QemuDriver driver = new QemuDriver("qemu", new QemuSettings(QemuSettings.DEFAULT_EMULATOR, 49152, 49215, 30_000, 1000,
                10_000, tmp.getRoot().toPath(), null, List.of(Guests.kernel().getParent()), null,
                1.0));
        DomainSpec user = Guests.spec(Guests.xml("nat", UUID.randomUUID(), 32, "0",
                "<interface type='bridge'><source bridge='br0'/><target dev='tap-nat'/></interface>"
                        + "<interface type='user'><model type='virtio'/></interface>"));
        driver.validate(user); // an operator's may
        HypervisorException refused = assertThrows(HypervisorException.class, () -> driver.validatePeerDefinition(user));
        assertEquals("interface net1 (type 'user') is QEMU's user-mode network, whose guest reaches this host's loopback"
                + " services: a peer's definition connects its guests to bridges only", refused.getMessage());
        driver.validatePeerDefinition(Guests.spec(Guests.xml("bridged", UUID.randomUUID(), 32, "0",
                "<interface type='bridge'><source bridge='br0'/><target dev='tap-bridged'/></interface>")));
    }
}
