package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DomainMessages;
import io.ferry.protocol.DomainMessages.Domains;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import java.util.Map;
import org.junit.Test;

/**
 * {@code dominfo} shows a running guest's memory digest when its VM has one (QEMU's have none), a shut-off domain its
 * definition alone; {@code list} shows neither, only each domain's state.
 */
public class DomainInfoTest {
    private static final String VM = TestChannel.DOMAIN;

    @Test
    public void aRunningGuestShowsItsMemoryDigestAndTheListDoesNot() throws Exception {
        TestChannel channel = TestChannel.withOneDomain(new OneVm(new GuestVm()));
        channel.domains.start(VM);

        DomainMessages.Domain info = info(channel);

        assertEquals("0", info.digest());
        assertEquals(Integer.valueOf(1), info.vcpus());
        DomainMessages.Domain listed = list(channel).domains().get(0);
        assertEquals("running", listed.state());
        assertNull(listed.digest());
        assertNull(listed.vcpus());
    }

    @Test
    public void aGuestWithoutAMemoryDigestShowsNone() throws Exception {
        GuestVm vm = new GuestVm();
        vm.digests = false;
        TestChannel channel = TestChannel.withOneDomain(new OneVm(vm));
        channel.domains.start(VM);

        DomainMessages.Domain info = info(channel);

        assertEquals("running", info.state());
        assertNull(info.digest());
    }

    /**
     * A stop destroys the VM first and unlinks it from the domain once its leases, snapshots and files are dealt with:
     * a dominfo in between got "internal error" (the sim's VM refuses the digest of released memory).
     */
    @Test
    public void aGuestWhoseMemoryIsReleasedAsItStopsShowsNoDigest() throws Exception {
        GuestVm vm = new GuestVm();
        TestChannel channel = TestChannel.withOneDomain(new OneVm(vm));
        channel.domains.start(VM);
        vm.released = true;

        DomainMessages.Domain info = info(channel);

        assertEquals(Integer.valueOf(1), info.vcpus());
        assertNull(info.digest());
    }

    @Test
    public void aShutOffDomainShowsItsDefinitionAndNoDigest() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();

        DomainMessages.Domain info = info(channel);

        assertEquals("shut off", info.state());
        assertEquals(Integer.valueOf(1), info.vcpus());
        assertNull(info.digest());
    }

    private static DomainMessages.Domain info(TestChannel channel) throws Exception {
        return DomainMessages.Domain.fromXml(Xml.of(ControlClient.parseQuietly(
                channel.call(Operation.DOMAIN_INFO, Map.of(), VM).xml())));
    }

    private static Domains list(TestChannel channel) throws Exception {
        return Domains.fromXml(Xml.of(ControlClient.parseQuietly(channel.call(Operation.LIST_DOMAINS, Map.of()).xml())));
    }
}
