package io.ferry.core.control;

import static org.junit.Assert.assertEquals;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;
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

    /** A VM whose hypervisor's word on its run state the test sets. */
    private static final class GuestVm implements VirtualMachine, GuestState {
        volatile DomainSpec spec;
        volatile GuestState.Observed now = new GuestState.Observed(true, null);
        /** How long the last caller would wait for the hypervisor's word. */
        volatile long asked;

        @Override
        public Optional<Observed> observe(long timeoutMillis) {
            asked = timeoutMillis;
            return Optional.ofNullable(now);
        }

        @Override
        public DomainSpec spec() {
            return spec;
        }

        @Override
        public boolean isRunning() {
            return now != null && now.running();
        }

        @Override
        public void pause() {
            now = new GuestState.Observed(false, null);
        }

        @Override
        public void resume() {
            now = new GuestState.Observed(true, null);
        }

        @Override
        public void destroy() {
        }

        @Override
        public String memoryDigest() {
            return "0";
        }

        @Override
        public MigrationStats sendMemory(OutputStream out, MigrationControl control) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MigrationStats receiveMemory(InputStream in, MigrationControl control) {
            throw new UnsupportedOperationException();
        }
    }

    /** The domain has no disk: nothing to lease. */

    /** Boots the one VM. */
    private record OneVm(GuestVm vm) implements Hypervisor {
        @Override
        public void validate(DomainSpec spec) {
        }

        @Override
        public VirtualMachine boot(DomainSpec spec, Path runDir) {
            vm.spec = spec;
            return vm;
        }

        @Override
        public VirtualMachine createIncoming(DomainSpec spec, Path runDir) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) {
            return Optional.empty();
        }
    }
}
