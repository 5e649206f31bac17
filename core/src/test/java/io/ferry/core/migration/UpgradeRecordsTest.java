package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * A daemon upgraded onto this build while a migration was in flight: the journal records earlier builds wrote (kept in
 * {@code earlier-records/}, made by those builds' own writer) are read by this build's journal and settled by its
 * recovery, at every step, as the recovery table says.
 */
public class UpgradeRecordsTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout
    /** 1daf737^: before the flag 'paused' and the destination's {@code <disk>} children. */
    private static final String BEFORE_PAUSED = "87ad4d9";

    @Test
    public void everyRecordOfTheBuildBeforeThePausedFlagReadsAsItWasWritten() throws Exception {
        for (String step : List.of("source-begun", "source-performing", "source-performed", "destination-prepared",
                "destination-committed")) {
            Path state = TestDirectories.create("journal");
            Files.createDirectories(state.resolve("migrations"));
            Files.writeString(state.resolve("migrations").resolve("m-upgrade.xml"), fixture(BEFORE_PAUSED, step));
            Journal.Entry entry = new FileJournal(state).unfinished().get(0);
            assertEquals(step, entry.role().name().toLowerCase() + "-" + entry.step().display());
            assertEquals(step, new MigrationFlags(true, false, false, false, false, false, false), entry.flags());
            assertEquals(step + ": no disks named, as that build named none", List.of(), entry.disks());
            assertEquals(step, entry.role() == Journal.Role.SOURCE, entry.wasRunning());
        }
    }

    @Test
    public void aSourceRestartedOntoThisBuildAtBegunRollsBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM);
        asWrittenBefore(d.source, run.begun.id(), "source-begun");

        d.source.restart();
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aSourceRestartedOntoThisBuildAtPerformingRollsBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.sourceKilledAtTheSwitchOver(VM);
        asWrittenBefore(d.source, run.begun.id(), "source-performing");

        d.source.restart();
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aSourceRestartedOntoThisBuildAtPerformedCompletesWhenTheDestinationCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        asWrittenBefore(d.source, run.begun.id(), "source-performed");

        d.source.restart();
        run.finish();
        d.network.passes(1_000, d.source); // taken in hand: its driver may still come back with Confirm
        d.network.passes(SILENCE, d.source);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aDestinationRestartedOntoThisBuildAtPreparedDropsTheIncomingGuest() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        asWrittenBefore(d.destination, run.begun.id(), "destination-prepared");

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.destination.assertGone(VM);

        ChannelException e = assertThrows(ChannelException.class, run::finish);
        assertTrue(e.getMessage(), e.getMessage().contains("aborted"));
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aDestinationRestartedOntoThisBuildAtCommittedRunsTheGuest() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        asWrittenBefore(d.destination, run.begun.id(), "destination-committed");

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.destination.assertRuns(VM, digest);

        run.finish(); // the driver, trying again, learns it committed
        d.network.passes(SILENCE, d.source);
        d.source.assertGone(VM);
    }

    /** A --suspend arrival committed by the build that kept 'paused' among the flags stays paused after the upgrade. */
    @Test
    public void aPausedArrivalCommittedByTheBuildBeforeStaysPausedAfterTheUpgrade() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare(TwoDaemons.LIVE.withPaused()).perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        Journal.Entry read = asWrittenBy(d.destination, run.begun.id(), "cec2632", "destination-committed-paused");
        assertTrue("the flag read from among the flags", read.flags().paused());

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        d.destination.assertPausedByItsOperator(VM);
    }

    private static Journal.Entry asWrittenBefore(TestHost host, String id, String step) throws IOException {
        return asWrittenBy(host, id, BEFORE_PAUSED, step);
    }

    /**
     * Replaces the host's record of migration {@code id} by the record the earlier build {@code revision} wrote at that
     * step, its values (id, domain UUID, key, peer, lease state, the peer journal's word) those of this migration, and
     * read by this build's file journal, as a daemon restarted onto this build reads it.
     */
    private static Journal.Entry asWrittenBy(TestHost host, String id, String revision, String step) throws IOException {
        Journal.Entry now = host.journal.find(id).orElseThrow();
        String xml = fixture(revision, step);
        Map<String, String> values = new java.util.HashMap<>();
        values.put("id", now.id());
        values.put("uuid", now.uuid().toString());
        values.put("key", now.key());
        values.put("peer", now.peer());
        values.put("leases", now.leaseState());
        values.put("peer-journal", now.peerJournal());
        for (Map.Entry<String, String> value : values.entrySet()) {
            Matcher attr = Pattern.compile(" " + Pattern.quote(value.getKey()) + "='[^']*'").matcher(xml);
            xml = attr.replaceAll(value.getValue() == null ? "" : Matcher.quoteReplacement(" " + value.getKey() + "='"
                    + value.getValue() + "'"));
        }
        Path state = TestDirectories.create("earlier-journal");
        Files.createDirectories(state.resolve("migrations"));
        Files.writeString(state.resolve("migrations").resolve(id + ".xml"), xml);
        Journal.Entry read = new FileJournal(state).find(id).orElseThrow();
        host.journal.record(read);
        return read;
    }

    private static String fixture(String revision, String step) throws IOException {
        String name = "earlier-records/" + revision + "/" + step + ".xml";
        try (InputStream in = UpgradeRecordsTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
