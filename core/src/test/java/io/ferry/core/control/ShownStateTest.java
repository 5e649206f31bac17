package io.ferry.core.control;

import static org.junit.Assert.assertEquals;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * {@code ferry list} and {@code dominfo} of a guest its hypervisor paused by itself (QEMU: a disk whose error policy
 * stops the guest) show it paused, with libvirt's reason, where they showed it running (the record of the daemon's own
 * last job); and a guest whose resume took effect after its call failed shows running.
 */
public class ShownStateTest {
    private final GuestVm vm = new GuestVm();
    private TestChannel channel;
    private ChannelServer server;
    private DaemonClient daemon;

    @Before
    public void start() throws Exception {
        channel = TestChannel.withOneDomain(new OneVm(vm));
        server = channel.server(channel.routes);
        server.start();
        daemon = new DaemonClient(new ControlClient(ChannelTls.url(server.address(), null)));
        channel.domains.start(TestChannel.DOMAIN);
    }

    @After
    public void stop() {
        server.stop();
    }

    @Test(timeout = 60_000)
    public void aGuestPausedByItsHypervisorForAnIoErrorIsShownPausedForIt() throws Exception {
        vm.now = new GuestState.Observed(false, GuestState.PausedBy.IO_ERROR);

        DomainMessages.Domain info = daemon.domain(TestChannel.DOMAIN);
        assertEquals("paused (I/O error)", info.state() + " (" + info.reason() + ")");
        assertEquals("paused", daemon.domains().domains().get(0).state());
    }

    @Test(timeout = 60_000)
    public void aGuestPausedByItsHypervisorForAPanicIsShownPausedCrashed() throws Exception {
        vm.now = new GuestState.Observed(false, GuestState.PausedBy.GUEST_PANICKED);

        DomainMessages.Domain info = daemon.domain(TestChannel.DOMAIN);
        assertEquals("paused (crashed)", info.state() + " (" + info.reason() + ")");
    }

    @Test(timeout = 60_000)
    public void aGuestRecordedPausedThatRunsNowIsShownRunning() throws Exception {
        var domain = channel.domains.get(TestChannel.DOMAIN);
        channel.domains.withJob(domain, "pause", () -> {
            channel.domains.setState(domain, DomainState.PAUSED, DomainState.Reason.MIGRATION);
            return null;
        });
        vm.now = new GuestState.Observed(true, null); // a cont whose reply timed out, run later

        DomainMessages.Domain info = daemon.domain(TestChannel.DOMAIN);
        assertEquals("running (unknown)", info.state() + " (" + info.reason() + ")");
    }

    /**
     * A hung QEMU answers nothing: showing its domain waited the driver's command timeout (10 s), and {@code ferry list}
     * that long for each such domain in turn. It asks for a second at most, then shows the record.
     */
    @Test(timeout = 60_000)
    public void showingADomainWaitsBrieflyForItsHypervisor() throws Exception {
        daemon.domains();
        assertEquals(1_000, vm.asked);
        vm.asked = 0;
        daemon.domain(TestChannel.DOMAIN);
        assertEquals(1_000, vm.asked);
    }

    @Test(timeout = 60_000)
    public void aGuestWhoseHypervisorDoesNotAnswerShowsItsRecord() throws Exception {
        vm.now = null;

        DomainMessages.Domain info = daemon.domain(TestChannel.DOMAIN);
        assertEquals("running (booted)", info.state() + " (" + info.reason() + ")");
    }
}
