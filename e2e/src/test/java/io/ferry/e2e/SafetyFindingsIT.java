package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The safety findings of the engine's review, each shown with real daemons as the operator or an adversary met
 * them: an out-of-order Confirm, an abandoned Begin, hooks that fail or hang, and a source whose destination is
 * gone for good.
 */
public class SafetyFindingsIT {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);
    private static Path leases;
    private static DaemonProcess source;
    private static DaemonProcess destination;

    @BeforeClass
    public static void startTwoHosts() throws Exception {
        leases = Files.createDirectories(Installation.work().resolve("safety-leases-" + System.nanoTime()));
        source = start("safety-source");
        destination = start("safety-destination");
    }

    /** A daemon whose hooks get one second and know which daemon runs them ({@code $FERRY_ROLE}). */
    private static DaemonProcess start(String name) throws Exception {
        DaemonProcess daemon = DaemonProcess.start(name, Map.of("FERRY_ROLE", name), "--lease-dir", leases.toString(),
                "--hook-timeout", "1");
        daemon.url();
        return daemon;
    }

    @AfterClass
    public static void stopTwoHosts() throws Exception {
        for (DaemonProcess daemon : new DaemonProcess[] {source, destination}) {
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    /** Finding 2: Begin, then Confirm of success, destroyed the guest; now it is refused and the guest runs on. */
    @Test
    public void confirmRightAfterBeginIsRefused() throws Exception {
        String digest = source.boot(SimDomain.idle("out-of-order", 16));
        HttpPeer peer = new HttpPeer(new ControlClient(source.url()));
        Messages.Begun begun = peer.begin(new Messages.Begin("out-of-order", LIVE, null, null, 0));

        ChannelException e = assertThrows(ChannelException.class,
                () -> peer.confirm(new Messages.Confirm(begun.id(), begun.key(), false, null)));

        assertTrue(e.getMessage(), e.getMessage().contains("cannot run while it is at begun"));
        assertEquals("running", source.state("out-of-order"));
        assertEquals(digest, source.digest("out-of-order"));
        ChannelException stranger = assertThrows(ChannelException.class,
                () -> peer.confirm(new Messages.Confirm(begun.id(), "0".repeat(64), true, null)));
        assertTrue(stranger.getMessage(), stranger.getMessage().contains("the key does not match"));
        peer.confirm(new Messages.Confirm(begun.id(), begun.key(), true, null));
        assertFalse(source.dominfo("out-of-order").containsKey("Migration"));
        source.ferryOk("destroy", "out-of-order");
    }

    /** Finding 4: an abandoned Begin held the domain until a restart; now the daemon lets it go by itself. */
    @Test
    public void anAbandonedBeginLetsTheDomainGo() throws Exception {
        source.boot(SimDomain.idle("abandoned", 16));
        new HttpPeer(new ControlClient(source.url())).begin(new Messages.Begin("abandoned", LIVE, null, null, 0));
        Installation.Result refused = source.ferry("destroy", "abandoned");
        assertTrue(refused.toString(), refused.exit() == 1 && refused.err().contains("is being migrated"));

        Poll.until("the abandoned migration to let abandoned go", () -> !source.dominfo("abandoned").containsKey("Migration"));
        source.ferryOk("destroy", "abandoned");
        assertTrue(source.log(), source.log().contains("its driver is gone"));
    }

    /** Findings 1 and 5: hooks that fail or hang after the commit never fail it; only a begin hook refuses. */
    @Test
    public void onlyABeginHookRefusesAndEndHooksNeverMakeTwoCopies() throws Exception {
        String digest = source.boot(SimDomain.idle("hooked", 16));
        try (HookScript hook = HookScript.install("""
                case "$FERRY_ROLE/$3" in
                  safety-destination/end) echo 'still busy' >&2; exec sleep 30 ;;
                  safety-source/end) echo 'cannot tidy up' >&2; exit 3 ;;
                esac
                exit 0
                """)) {
            source.ferryOk("migrate", "--live", "hooked", destination.url());
        }
        Placement.assertRunsOnlyOn(destination, source, "hooked", digest);
        assertTrue(destination.log(), destination.log().contains("did not finish within 1 s"));

        try (HookScript hook = HookScript.install("""
                [ "$FERRY_ROLE/$3" = safety-destination/begin ] && { echo 'thinking' >&2; exec sleep 30; }
                exit 0
                """)) {
            Installation.Result result = destination.ferry("migrate", "--live", "hooked", source.url());
            assertEquals(result.toString(), 1, result.exit());
            assertTrue(result.err(), result.err().contains("did not finish within 1 s"));
        }
        Placement.assertRunsOnlyOn(destination, source, "hooked", digest);
        destination.ferryOk("destroy", "hooked");
    }

    /** Finding 4: a source whose destination is gone for good after Perform can be resumed by its operator. */
    @Test
    public void resumeRunsASourceWhoseDestinationIsGoneForGood() throws Exception {
        try (DaemonProcess doomed = start("doomed")) {
            String digest = source.boot(SimDomain.idle("stranded", 16).withDisk("/images/stranded.img"));
            Phases.throughPerform(source, doomed, "stranded");
            doomed.kill();
            assertEquals("paused", source.state("stranded"));

            Installation.Result resumed = source.ferryOk("resume", "stranded");

            assertEquals("Domain 'stranded' resumed\n", resumed.out());
            assertTrue(resumed.err(), resumed.err().startsWith("warning: the destination " + doomed.url() + " did not say"));
            assertEquals("running", source.state("stranded"));
            assertEquals(digest, source.digest("stranded"));
            source.ferryOk("destroy", "stranded");
        }
    }

    /** ... but not while the destination holds the domain's leases: it may run the guest. */
    @Test
    public void resumeIsRefusedWhileTheDestinationHoldsTheLeases() throws Exception {
        DaemonProcess committed = start("committed");
        try {
            String digest = source.boot(SimDomain.idle("committed-vm", 16).withDisk("/images/committed-vm.img"));
            Phases.throughPerform(source, committed, "committed-vm").finish(false);
            committed.kill();

            Installation.Result refused = source.ferry("resume", "committed-vm");

            assertEquals(refused.toString(), 1, refused.exit());
            assertTrue(refused.err(), refused.err().contains("is held by committed") && refused.err().contains("two hosts at once"));
            assertEquals("paused", source.state("committed-vm"));

            committed = committed.restart(); // back: the source learns it committed and lets its copy go
            DaemonProcess back = committed;
            back.awaitState("committed-vm", "running");
            source.awaitState("committed-vm", "shut off");
            Placement.assertRunsOnlyOn(back, source, "committed-vm", digest);
        } finally {
            committed.close();
        }
    }
}
