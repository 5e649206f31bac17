package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Migrate;
import io.ferry.protocol.Messages.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.Test;

/** The driver's choices after each failure, against scripted daemons: what it calls next, and what it reports. */
public class MigrationDriverTest {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);

    private final ScriptedPeer source = new ScriptedPeer("src", Set.of(2, 3));
    private final ScriptedPeer destination = new ScriptedPeer("dst", Set.of(2, 3));
    private final List<String> warnings = new ArrayList<>();

    private Finished run() throws ChannelException {
        return run(LIVE);
    }

    private Finished runV2() throws ChannelException {
        return run(LIVE.withV2());
    }

    private Finished run(MigrationFlags flags) throws ChannelException {
        return new MigrationDriver(new MigrationDriver.Listener() {
            @Override
            public void step(String phase, String host, String cookieOut) {
            }

            @Override
            public void warning(String message) {
                warnings.add(message);
            }
        }, Duration.ofMillis(10), 0).run(source, destination, new Migrate("vm", "dst", flags, null, null, 0));
    }

    /** --unsafe goes to the source's Begin; the destination's Prepare never sees it (an older one would refuse it). */
    @Test
    public void unsafeGoesToTheSourceOnly() throws Exception {
        migrateUnsafely(destination);
        assertEquals(List.of("begin live,unsafe"), source.flags);
        assertEquals(List.of("prepare live"), destination.flags);
    }

    @Test
    public void unsafeGoesToTheSourceOnlyWithProtocolTwo() throws Exception {
        ScriptedPeer old = new ScriptedPeer("dst", Set.of(2));
        migrateUnsafely(old);
        assertEquals(List.of("begin live,v2,unsafe"), source.flags);
        assertEquals(List.of("prepare live,v2"), old.flags);
    }

    private void migrateUnsafely(ScriptedPeer to) throws ChannelException {
        MigrationFlags unsafe = new MigrationFlags(true, false, false, false, false, false, false, true);
        new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 0).run(source, to,
                new Migrate("vm", "dst", unsafe, null, null, 0));
    }

    @Test
    public void theFivePhasesInOrder() throws Exception {
        assertEquals("vm", run().domain());
        assertEquals(List.of("begin", "perform", "confirm"), source.calls());
        assertEquals(List.of("prepare", "finish"), destination.calls());
    }

    @Test
    public void aRefusedPrepareCancelsOnTheSourceOnly() {
        destination.refuses("prepare", "no room");
        ChannelException e = assertThrows(ChannelException.class, this::run);
        assertEquals("no room", e.getMessage());
        assertEquals(List.of("begin", "confirm cancelled"), source.calls());
        assertEquals(List.of("prepare"), destination.calls());
    }

    @Test
    public void aLostPrepareCancelsOnBothSides() {
        destination.loses("prepare", "connection reset");
        assertThrows(ChannelException.class, this::run);
        assertEquals(List.of("prepare", "finish cancelled"), destination.calls());
        assertEquals(List.of("begin", "confirm cancelled"), source.calls());
    }

    @Test
    public void aFailedPerformCancelsBothSidesAndReportsTheDestinationsOwnReason() {
        source.refuses("perform", "Broken pipe");
        destination.cancelNote = "No space left on device";
        ChannelException e = assertThrows(ChannelException.class, this::run);
        assertEquals("Broken pipe; on the destination: No space left on device", e.getMessage());
        assertEquals(List.of("prepare", "finish cancelled"), destination.calls());
        assertEquals(List.of("begin", "perform", "confirm cancelled"), source.calls());
    }

    @Test
    public void aFailedFinishThatTheDestinationCommittedAnywayCompletes() throws Exception {
        destination.refuses("finish", "hook script did not finish within 60 s");
        destination.settleOutcome = Outcome.COMMITTED;
        run();
        assertEquals(List.of("prepare", "finish", "settle"), destination.calls());
        assertEquals(List.of("begin", "perform", "confirm"), source.calls());
        assertTrue(warnings.toString(), warnings.get(0).contains("the destination committed the migration"));
    }

    /**
     * A lost Finish whose destination answers "in progress" (that Finish still holds its job there: its end hook, the
     * guest's resume) is asked again within the settle wait: the driver gave up at the first such answer, and had the
     * source keep the guest paused, refused with words an operator took for a destination that does not answer.
     */
    @Test
    public void aLostFinishWhoseDestinationSaysItIsUnderWayIsAskedAgainUntilItCommits() throws Exception {
        destination.loses("finish", "connection reset");
        destination.settleFirst.addAll(List.of(Outcome.IN_PROGRESS, Outcome.IN_PROGRESS));
        destination.settleOutcome = Outcome.COMMITTED;
        MigrationDriver driver = new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 60_000);

        assertEquals("vm", driver.run(source, destination, new Migrate("vm", "dst", LIVE, null, null, 0)).domain());

        assertEquals(List.of("prepare", "finish", "settle", "settle", "settle"), destination.calls());
        assertEquals(List.of("begin", "perform", "confirm"), source.calls());
    }

    @Test
    public void aFailedFinishThatTheDestinationAbortedRollsBackAndReportsTheFinishError() {
        destination.refuses("finish", "cookie section fault failed");
        destination.settleOutcome = Outcome.ABORTED;
        ChannelException e = assertThrows(ChannelException.class, this::run);
        assertEquals("cookie section fault failed; the destination did not commit migration m1: domain vm stays on its"
                + " source src", e.getMessage());
        assertEquals(List.of("begin", "perform", "confirm cancelled"), source.calls());
    }

    /**
     * As libvirt, a Finish that did not report success is followed by Confirm with cancelled=1 even when the driver
     * could not learn the destination's word: the source asks it itself (it reached it here, which had not committed)
     * and the command says the guest stays there. The driver used to leave the source alone, paused until its watchdog
     * noticed the driver's silence, and said only that the destination could not say.
     */
    @Test
    public void aLostFinishTheDriverCannotSettleIsConfirmedCancelledAndTheSourceSettlesIt() {
        destination.loses("finish", "connection reset");
        destination.loses("settle", "connection refused");
        ChannelException e = assertThrows(ChannelException.class, this::run);
        assertEquals(List.of("begin", "perform", "confirm cancelled"), source.calls());
        assertEquals("connection reset; the destination did not commit migration m1: domain vm stays on its source src",
                e.getMessage());
    }

    /** Nobody can say: the source keeps the guest paused, and its refusal, which says so and how to resume it, is shown. */
    @Test
    public void aLostFinishThatNobodyCanSettleReportsWhatTheSourceSaysOfItsGuest() {
        destination.loses("finish", "connection reset");
        destination.loses("settle", "connection refused");
        source.refuses("confirm cancelled", "the destination dst does not answer whether it runs domain vm, so it stays"
                + " paused here until it does");
        source.settleOutcome = Outcome.IN_PROGRESS; // its record: neither committed nor aborted
        ChannelException e = assertThrows(ChannelException.class, this::run);
        assertEquals(List.of("begin", "perform", "confirm cancelled", "fate"), source.calls());
        assertEquals("connection reset; on the source src: the destination dst does not answer whether it runs domain vm, so"
                + " it stays paused here until it does", e.getMessage());
    }

    /** The source reached the destination, which had committed: the domain runs there, and the command succeeds. */
    @Test
    public void aLostFinishTheSourceLearnsWasCommittedCompletes() throws Exception {
        destination.loses("finish", "connection reset");
        destination.loses("settle", "connection refused");
        source.refuses("confirm cancelled", "the destination committed migration m1: domain vm runs there, and its copy"
                + " here was stopped");
        source.settleOutcome = Outcome.COMMITTED; // its record: CONFIRMED
        assertEquals("vm", run().domain());
        assertEquals(List.of("begin", "perform", "confirm cancelled", "fate", "confirm"), source.calls());
        assertTrue(warnings.toString(), warnings.get(0).contains("the destination committed the migration"));
    }

    @Test
    public void aCommittedFinishsNoteReachesTheOperatorAsAWarning() throws Exception {
        destination.finishNote = "the domain runs, but its definition could not be saved: No space left on device";
        assertEquals("vm", run().domain());
        assertEquals(List.of(destination.finishNote), warnings);
        assertEquals(List.of("begin", "perform", "confirm"), source.calls());
    }

    /** Protocol 2's Finish notes the same trouble: the command warned of it only under protocol 3. */
    @Test
    public void aCommittedProtocol2FinishsNoteReachesTheOperatorAsAWarning() throws Exception {
        destination.finishNote = "the destination committed domain vm, but it is not running there: its VM is gone";
        assertEquals("vm", runV2().domain());
        assertEquals(List.of(destination.finishNote), warnings);
    }

    @Test
    public void aFailedConfirmAfterSuccessIsOnlyAWarning() throws Exception {
        source.loses("confirm", "connection reset");
        assertEquals("vm", run().domain());
        assertTrue(warnings.toString(), warnings.get(0).contains("the source daemon finishes the clean-up itself"));
    }

    @Test
    public void cleanUpFailuresNeverReplaceTheFirstError() {
        source.refuses("perform", "the first error");
        destination.refuses("finish cancelled", "clean-up failed");
        source.refuses("confirm cancelled", "clean-up failed too");
        ChannelException e = assertThrows(ChannelException.class, this::run);
        assertEquals("the first error", e.getMessage());
        assertEquals(2, e.getSuppressed().length);
    }

    @Test
    public void protocolTwoWhenOnePeerOnlySpeaksIt() throws Exception {
        ScriptedPeer old = new ScriptedPeer("dst", Set.of(2));
        Finished finished = new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 0)
                .run(source, old, new Migrate("vm", "dst", LIVE, null, null, 0));
        assertEquals("vm", finished.domain());
        assertEquals(List.of("begin", "perform"), source.calls()); // no Confirm in protocol 2
        assertEquals(List.of("prepare", "finish"), old.calls());
    }

    /**
     * Protocol 2's Perform stops the source's copy before it answers: one whose reply was lost is finished when the
     * source says its copy went, where the driver cancelled it and the destination dropped the only copy.
     */
    @Test
    public void aLostProtocol2PerformTheSourceCompletedIsFinished() throws Exception {
        source.loses("perform", "connection reset");
        source.settleOutcome = Outcome.COMMITTED; // its record: CONFIRMED
        assertEquals("vm", runV2().domain());
        assertEquals(List.of("begin", "perform", "fate"), source.calls());
        assertEquals(List.of("prepare", "finish"), destination.calls());
        assertTrue(warnings.toString(), warnings.get(0).contains("the source stopped its copy of domain vm"));
    }

    @Test
    public void aLostProtocol2PerformTheSourceRolledBackIsCancelled() {
        source.loses("perform", "connection reset");
        ChannelException e = assertThrows(ChannelException.class, this::runV2);
        assertEquals("connection reset", e.getMessage());
        assertEquals(List.of("begin", "perform", "fate", "confirm cancelled"), source.calls());
        assertEquals(List.of("prepare", "finish cancelled"), destination.calls());
    }

    /** Neither is safe while the source cannot say: its copy may be the only one, or the destination's may be. */
    @Test
    public void aLostProtocol2PerformTheSourceCannotSayOfIsNeitherFinishedNorCancelled() {
        source.loses("perform", "connection reset");
        source.loses("fate", "connection refused");
        ChannelException e = assertThrows(ChannelException.class, this::runV2);
        assertEquals("connection reset; the source src does not say whether it stopped its copy of domain vm, so"
                + " migration m1 is neither finished nor cancelled: the destination drops what it received once it"
                + " hears no more of this driver, and the source resumes its copy if it still has one", e.getMessage());
        assertEquals(List.of("prepare"), destination.calls());
    }

    /** A refusal is the source's word that it did not stop its copy: cancelled, as before. */
    @Test
    public void aRefusedProtocol2PerformIsCancelledWithoutAsking() {
        source.refuses("perform", "Broken pipe");
        assertThrows(ChannelException.class, this::runV2);
        assertEquals(List.of("begin", "perform", "confirm cancelled"), source.calls());
        assertEquals(List.of("prepare", "finish cancelled"), destination.calls());
    }

    /**
     * Protocol 2's Perform stopped the source's copy: a Finish whose reply was lost may have committed the only one.
     * It is sent again (one after the commit is answered as committed), never settled or cancelled, and the command
     * succeeds with a warning, where it failed on the lost reply, which taught an operator to start the source's copy.
     */
    @Test
    public void aLostProtocol2FinishIsSentAgainAndTheCommittedMigrationCompletes() throws Exception {
        destination.loses("finish", "connection reset").thenAnswers("finish");
        assertEquals("vm", runV2().domain());
        assertEquals(List.of("prepare", "finish", "finish"), destination.calls());
        assertEquals(List.of("begin", "perform"), source.calls());
        assertTrue(warnings.toString(), warnings.get(0).contains("Finish failed (connection reset), but the destination"
                + " committed the migration"));
        // answered again, the Finish says nothing of the guest (paused or gone there): the warning does not say it runs
        assertTrue(warnings.toString(), warnings.get(0).endsWith("was lost with the reply, so check it there"));
    }

    /** The first Finish never arrived; the one sent again ran and says what went wrong there: no "lost" wording. */
    @Test
    public void aProtocol2FinishAnsweredOnlyWhenSentAgainPassesItsNoteOn() throws Exception {
        destination.finishNote = "the destination committed domain vm, but it is not running there: its VM is gone";
        destination.loses("finish", "connection reset").thenAnswers("finish");
        runV2();
        assertEquals(List.of("Finish failed (connection reset), but the destination committed the migration",
                destination.finishNote), warnings);
    }

    /** Nobody can say whether the destination committed: the command says that the source's copy is gone. */
    @Test
    public void aProtocol2FinishLostForGoodSaysTheSourcesCopyStopped() {
        destination.loses("finish", "connection reset");
        ChannelException e = assertThrows(ChannelException.class, this::runV2);
        assertEquals("connection reset; the source src stopped its copy of domain vm at Perform, and the destination"
                + " dst does not answer whether it committed migration m1: the domain may run on neither host; do not"
                + " start it on the source before checking the destination", e.getMessage());
        assertEquals(List.of("prepare", "finish", "finish"), destination.calls());
        assertEquals(List.of("begin", "perform"), source.calls());
    }

    /** A lost Finish the destination then refuses (it aborted meanwhile) is reported with its word. */
    @Test
    public void aLostProtocol2FinishRefusedWhenSentAgainSaysSo() {
        destination.loses("finish", "connection reset").refuses("finish", "migration m1 was aborted on this host");
        ChannelException e = assertThrows(ChannelException.class, this::runV2);
        assertEquals("connection reset; the source src stopped its copy of domain vm at Perform, and the destination"
                + " dst refused the Finish sent again (migration m1 was aborted on this host): the domain may run on"
                + " neither host; do not start it on the source before checking the destination", e.getMessage());
        assertEquals(List.of("prepare", "finish", "finish"), destination.calls());
    }

    /** A refused protocol-2 Finish dropped the only copy: the command says so, not only the destination's reason. */
    @Test
    public void aRefusedProtocol2FinishSaysTheGuestRunsOnNeitherHost() {
        destination.refuses("finish", "the incoming VM of domain vm quit");
        ChannelException e = assertThrows(ChannelException.class, this::runV2);
        assertEquals("the incoming VM of domain vm quit; the source src stopped its copy of domain vm at Perform and"
                + " the destination did not commit migration m1: the domain runs on neither host", e.getMessage());
        assertEquals(List.of("prepare", "finish"), destination.calls());
        assertEquals(List.of("begin", "perform"), source.calls());
    }

    @Test
    public void bothDaemonsHearTheDriverWhileItRuns() throws Exception {
        ScriptedPeer slowSource = new ScriptedPeer("src", Set.of(2, 3)) {
            @Override
            public Messages.Performed perform(Messages.Perform request) throws ChannelException {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.perform(request);
            }
        };
        new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 0)
                .run(slowSource, destination, new Migrate("vm", "dst", LIVE, null, null, 0));
        assertTrue("keepalives to the source: " + slowSource.keepalives, slowSource.keepalives >= 2);
        assertTrue("keepalives to the destination: " + destination.keepalives, destination.keepalives >= 2);
    }

    /**
     * A daemon from before the migration flag 'paused' (1daf737^): it reads Begin's and Prepare's messages as they
     * travel, and refuses a flag it does not know as that version's MigrationFlags.parse did.
     */
    private static final class EarlierDaemon extends ScriptedPeer {
        private static final List<String> KNOWN = List.of("live", "p2p", "tunnelled", "offline", "persistent",
                "undefinesource", "v2", "unsafe");

        EarlierDaemon(String uri) {
            super(uri, Set.of(2, 3));
        }

        private static void read(String messageXml) throws ChannelException {
            String flags = Xml.of(ControlClient.parse(messageXml)).attr("flags");
            for (String name : flags == null || flags.isBlank() ? new String[0] : flags.split(",")) {
                if (!KNOWN.contains(name)) {
                    throw new ChannelException("unknown migration flag " + Xml.quote(name), true);
                }
            }
        }

        @Override
        public Messages.Begun begin(Messages.Begin request) throws ChannelException {
            read(request.toXml());
            return super.begin(request);
        }

        @Override
        public Messages.Prepared prepare(Messages.Prepare request) throws ChannelException {
            read(request.toXml());
            return super.prepare(request);
        }
    }

    private static final MigrationFlags SUSPEND = LIVE.withPaused();

    private static ChannelException fails(Peer from, Peer to, MigrationFlags flags) {
        return assertThrows(ChannelException.class, () -> new MigrationDriver(MigrationDriver.Listener.NONE,
                Duration.ofMillis(10), 0).run(from, to, new Migrate("vm", "dst", flags, null, null, 0)));
    }

    /** A running guest migrated without --suspend: no flag 'paused' travels, and an earlier destination takes it. */
    @Test
    public void aMigrationWithoutSuspendGoesToAnEarlierDestination() throws Exception {
        EarlierDaemon earlier = new EarlierDaemon("dst");
        new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 0).run(source, earlier,
                new Migrate("vm", "dst", LIVE, null, null, 0));
        assertEquals(List.of("prepare live"), earlier.flags);
        assertEquals(List.of("prepare", "finish"), earlier.calls());
        assertEquals(List.of("begin", "perform", "confirm"), source.calls());
    }

    /**
     * --suspend towards an earlier destination: refused at Prepare, the guest stays on its source, and the error names
     * the daemon at fault and what to do, not only the flag's bare name.
     */
    @Test
    public void aSuspendAnEarlierDestinationRefusesNamesItAndLeavesTheGuestOnItsSource() {
        EarlierDaemon earlier = new EarlierDaemon("dst");
        ChannelException e = fails(source, earlier, SUSPEND);
        assertEquals("the destination daemon at dst is of an earlier version, which refuses the migration flag 'paused' (an"
                + " arriving guest left paused) that ferry migrate --suspend asks for: domain vm stays on its source; migrate"
                + " it without --suspend, or once that daemon is upgraded (unknown migration flag 'paused')", e.getMessage());
        assertEquals(List.of("begin", "confirm cancelled"), source.calls());
    }

    /** A guest paused on its source has the driver add the flag itself: the refusal says so, and how to migrate it. */
    @Test
    public void aPausedGuestAnEarlierDestinationRefusesIsToldWhy() {
        EarlierDaemon earlier = new EarlierDaemon("dst");
        source.beginsPaused = true;
        ChannelException e = fails(source, earlier, LIVE);
        assertEquals("the destination daemon at dst is of an earlier version, which refuses the migration flag 'paused' (an"
                + " arriving guest left paused), and domain vm needs it as it is paused on its source, where it stays; ferry"
                + " resume vm first to migrate it running, or migrate it once that daemon is upgraded (unknown migration"
                + " flag 'paused')", e.getMessage());
        assertEquals(List.of("begin", "confirm cancelled"), source.calls());
    }

    /** --suspend from an earlier source's Begin: nothing began, and the error names that daemon. */
    @Test
    public void aSuspendAnEarlierSourceRefusesNamesIt() {
        EarlierDaemon earlier = new EarlierDaemon("src");
        ChannelException e = fails(earlier, destination, SUSPEND);
        assertTrue(e.getMessage(), e.getMessage().startsWith("the source daemon at src is of an earlier version, which"
                + " refuses the migration flag 'paused'"));
        assertEquals(List.of(), destination.calls());
    }
}
