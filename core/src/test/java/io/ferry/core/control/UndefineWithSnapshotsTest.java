package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.DaemonMessages.Snapshot;
import io.ferry.protocol.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * As libvirt: a shut-off domain with snapshots is undefined only with {@code --snapshots-metadata}, which removes
 * them. Else they stayed on disk under its UUID, and became the snapshots of the next domain defined with it. A
 * running domain's stay with it.
 */
public class UndefineWithSnapshotsTest {
    private static final String VM = TestChannel.DOMAIN;
    private static final String UUID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

    @Test
    public void aShutOffDomainWithSnapshotsIsUndefinedOnlyWithItsSnapshots() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);

        Exception refused = assertThrows(Exception.class, () -> channel.call(Operation.UNDEFINE, Map.of(), VM));
        assertEquals("Requested operation is not valid: cannot delete inactive domain with 1 snapshots", refused.getMessage());
        assertEquals("vm1 is still defined", VM, channel.domains.get(VM).persistent().name());
        assertEquals(List.of("s1"), names(channel, VM));

        channel.call(Operation.UNDEFINE, Map.of("snapshots-metadata", "yes"), VM);
        assertTrue(channel.domains.find(VM).isEmpty());
        channel.domains.define("<domain type='sim'><name>other</name><uuid>" + UUID
                + "</uuid><memory unit='KiB'>65536</memory><vcpu>1</vcpu></domain>");
        assertEquals("another domain with vm1's UUID has vm1's snapshots", List.of(), names(channel, "other"));
    }

    /**
     * An undefine whose definition could not be deleted (a disk's error; here a directory in its way) leaves the domain
     * defined, and its snapshots with it: they were removed first, and the domain stayed defined without them.
     */
    @Test
    public void anUndefineThatCannotDeleteTheDefinitionKeepsTheSnapshots() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);
        Path definition = channel.stateDir.resolve("domains").resolve(VM + ".xml");
        Files.delete(definition);
        Files.createDirectories(definition.resolve("in-the-way"));

        assertThrows(Exception.class, () -> channel.call(Operation.UNDEFINE, Map.of("snapshots-metadata", "yes"), VM));

        assertEquals("vm1 is still defined", VM, channel.domains.get(VM).persistent().name());
        assertEquals(List.of("s1"), names(channel, VM));
    }

    /**
     * An undefine whose definition is gone but whose staged definitions cannot be looked through (a disk's error;
     * here a file in the way of their directory) still removes the snapshots: the domain is undefined, and snapshots
     * left under its UUID would be the next domain's given it.
     */
    @Test
    public void anUndefineThatCannotDiscardStagedDefinitionsRemovesTheSnapshots() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);
        Path incoming = channel.stateDir.resolve("incoming");
        Files.delete(incoming);
        Files.writeString(incoming, "in the way");

        Exception failed = assertThrows(Exception.class,
                () -> channel.call(Operation.UNDEFINE, Map.of("snapshots-metadata", "yes"), VM));

        assertTrue(failed.getMessage(), failed.getMessage().contains(incoming.toString()));
        assertTrue("vm1 is undefined", channel.domains.find(VM).isEmpty());
        Files.delete(incoming);
        Files.createDirectory(incoming);
        channel.domains.define("<domain type='sim'><name>other</name><uuid>" + UUID
                + "</uuid><memory unit='KiB'>65536</memory><vcpu>1</vcpu></domain>");
        assertEquals("another domain with vm1's UUID has vm1's snapshots", List.of(), names(channel, "other"));
    }

    /** A running domain's snapshots stay with it, transient now, as its guest runs on (libvirt's, flag or not). */
    @Test
    public void aRunningDomainWithSnapshotsIsUndefinedAndKeepsThem() throws Exception {
        TestChannel channel = TestChannel.withOneDomain(new OneVm(new GuestVm()));
        channel.domains.start(VM);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);

        channel.call(Operation.UNDEFINE, Map.of(), VM);

        assertTrue("transient now", channel.domains.get(VM).persistent() == null && channel.domains.get(VM).isActive());
        assertEquals(List.of("s1"), names(channel, VM));
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s2"), VM);
        channel.domains.define(channel.domains.get(VM).current().xml()); // defined again, running
        channel.call(Operation.UNDEFINE, Map.of("snapshots-metadata", "yes"), VM);
        assertEquals(List.of("s1", "s2"), names(channel, VM));
    }

    @Test
    public void aShutOffDomainWithoutSnapshotsIsUndefinedAsBefore() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.call(Operation.UNDEFINE, Map.of(), VM);
        assertTrue(channel.domains.find(VM).isEmpty());
    }

    private static List<String> names(TestChannel channel, String domain) throws Exception {
        return channel.snapshots(domain).snapshots().stream().map(Snapshot::name).toList();
    }
}
