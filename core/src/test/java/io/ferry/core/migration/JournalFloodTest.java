package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A peer daemon that prepares migrations and aborts them in a loop leaves a journal record of each, kept for 30 days:
 * unbounded, it filled the destination's state directory at its own rate, until no migration of any host could be
 * recorded there. What its aborted arrivals keep is bounded per peer; nothing else goes.
 */
public class JournalFloodTest {
    private static final String FLOODER = "CN=host-a";
    private static final String KEY = "k".repeat(40);

    @Test
    public void aPeersAbortedArrivalsKeepAtMostTheBoundOfRecordsAndNobodyElsesGo() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.useFileJournal();
        String anotherPeers = abortedArrival(host, "CN=host-b");
        String anOperators = abortedArrival(host, null);
        long elsewhere = filesOutsideTheJournal(host);
        List<String> flood = new ArrayList<>();
        int beyond = 3;
        for (int i = 0; i < FileJournal.ABORTED_ARRIVALS_KEPT_PER_PEER + beyond; i++) {
            flood.add(abortedArrival(host, FLOODER));
        }

        assertEquals("records left in the journal", FileJournal.ABORTED_ARRIVALS_KEPT_PER_PEER + 2, records(host));
        assertEquals("files the arrivals left elsewhere in the state directory", elsewhere, filesOutsideTheJournal(host));
        for (int i = 0; i < beyond; i++) {
            // the source of a removed one is told what it is told of any aborted migration long ended
            assertEquals(Outcome.UNKNOWN, host.engine().settle(flood.get(i), KEY).outcome());
        }
        assertEquals(Outcome.ABORTED, host.engine().settle(flood.get(beyond), KEY).outcome());
        assertEquals(Outcome.ABORTED, host.engine().settle(flood.get(flood.size() - 1), KEY).outcome());
        assertEquals(Outcome.ABORTED, host.engine().settle(anotherPeers, KEY).outcome());
        assertEquals(Outcome.ABORTED, host.engine().settle(anOperators, KEY).outcome());
    }

    @Test
    public void theBoundHoldsAcrossARestartAndRemovesNoRecordThatIsNotAnAbortedArrival() throws Exception {
        Path state = TestDirectories.create("ferry-flood");
        FileJournal journal = new FileJournal(state);
        journal.record(arrival("committed", Step.FINISHED));
        journal.record(arrival("under-way", Step.PREPARED));
        for (int i = 0; i < FileJournal.ABORTED_ARRIVALS_KEPT_PER_PEER; i++) {
            journal.record(arrival("aborted-" + i, Step.ABORTED));
        }
        Files.setLastModifiedTime(state.resolve("migrations/aborted-0.xml"), FileTime.fromMillis(System.currentTimeMillis() - Duration.ofDays(1).toMillis())); // the oldest

        FileJournal restarted = new FileJournal(state);
        restarted.record(arrival("aborted-more", Step.ABORTED));

        assertTrue("the oldest aborted arrival is removed", restarted.find("aborted-0").isEmpty());
        assertEquals(FileJournal.ABORTED_ARRIVALS_KEPT_PER_PEER + 2, records(state));
        assertEquals(Step.FINISHED, restarted.find("committed").orElseThrow().step());
        assertEquals(Step.PREPARED, restarted.find("under-way").orElseThrow().step());
        assertEquals(FLOODER, restarted.find("aborted-more").orElseThrow().preparedBy());
    }

    private static Journal.Entry arrival(String id, Step step) throws Exception {
        return new Journal.Entry(id, Journal.Role.DESTINATION, step, "vm", UUID.randomUUID(), null,
                MigrationFlags.parse("offline,v2"), KEY, null, false, null, List.of(), FLOODER);
    }

    /** A Prepare of {@code peer} (null: an operator's) that its settle aborts; returns its id. */
    private static String abortedArrival(TestHost host, String peer) throws Exception {
        Messages.Prepare prepare = new Messages.Prepare(UUID.randomUUID().toString(), KEY, MigrationFlags.parse("offline,v2"),
                TestHost.definition("flooded"), null, List.of(), "ferry+tls://host-a:16514");
        host.engine().prepare(prepare, peer);
        assertEquals(Outcome.ABORTED, host.engine().settle(prepare.id(), KEY).outcome());
        return prepare.id();
    }

    private static long filesOutsideTheJournal(TestHost host) throws Exception {
        Path journal = host.stateDir.resolve("migrations");
        try (Stream<Path> files = Files.walk(host.stateDir)) {
            return files.filter(f -> !f.startsWith(journal)).count();
        }
    }

    private static long records(TestHost host) throws Exception {
        return records(host.stateDir);
    }

    private static long records(Path state) throws Exception {
        try (Stream<Path> files = Files.list(state.resolve("migrations"))) {
            return files.filter(f -> f.toString().endsWith(".xml")).count();
        }
    }
}
