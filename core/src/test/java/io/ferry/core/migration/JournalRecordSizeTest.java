package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.Test;

/**
 * A journal record lists the guest's leased disks (and their lease state at the commit) and what the Prepare carried
 * (its source URI, its key). The journal read back records of at most 64 KiB but wrote any: a guest of some 500 disks,
 * or a peer's padded Prepare, left a record that a settle read as damaged, so its source was told "in progress" for
 * good and kept its paused copy, and a restart set the record aside unsettled.
 */
public class JournalRecordSizeTest {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, true, false, false);

    @Test
    public void aGuestOfManyDisksMigratesAndItsRecordsAreReadBackAfterARestart() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.source.useFileJournal();
        d.destination.useFileJournal();
        int disks = 800; // its records are about 100 KiB
        d.source.domains().define(TestHost.definition("vm1").replace("</devices>", disks(disks) + "</devices>"));
        d.source.domains().start("vm1");
        String digest = d.source.digest("vm1");

        Messages.Finished finished = d.migrate("vm1", TwoDaemons.PERSISTENT_UNDEFINE_SOURCE);

        d.destination.assertRuns("vm1", digest);
        assertTrue("the source no longer has vm1", d.source.domain("vm1").isEmpty());
        Path record = d.destination.stateDir.resolve("migrations").resolve(finished.id() + ".xml");
        assertTrue("a record over the old limit: " + Files.size(record), Files.size(record) > 64 * 1024);
        d.destination.restart();
        Journal.Entry read = new FileJournal(d.destination.stateDir).find(finished.id()).orElseThrow();
        assertEquals(Step.FINISHED, read.step());
        assertEquals(disks + 1, read.disks().size());
        assertEquals(Outcome.COMMITTED, d.destination.engine().settle(finished.id(), read.key()).outcome());
        d.destination.assertRuns("vm1", digest);
    }

    @Test
    public void aRecordTheJournalCouldNotReadBackIsRefusedAndTheRecordBeforeItStays() throws Exception {
        Path state = TestDirectories.create("journal-size");
        FileJournal journal = new FileJournal(state);
        List<String> some = List.of("/disks/a.img");
        Journal.Entry prepared = new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.PREPARED, "vm", UUID.randomUUID(),
                null, LIVE, "c".repeat(64), null, false, null, some);
        journal.record(prepared);
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; tooMany.size() * 100 <= FileJournal.MAX_RECORD_BYTES; i++) {
            tooMany.add("/disks/" + "d".repeat(80) + "/" + i + ".img");
        }
        Journal.Entry over = new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.COMMITTED, "vm", prepared.uuid(),
                null, LIVE, "c".repeat(64), "8", false, null, tooMany);

        IOException refused = assertThrows(IOException.class, () -> journal.record(over));

        assertTrue(refused.getMessage(), refused.getMessage().startsWith("the journal record of migration m-1 at committed"
                + " would be "));
        assertTrue(refused.getMessage(), refused.getMessage().endsWith(" bytes (its guest has " + tooMany.size()
                + " leased disks), over the " + FileJournal.MAX_RECORD_BYTES + " this daemon reads back: not recorded"));
        assertEquals(prepared, new FileJournal(state).find("m-1").orElseThrow());
    }

    @Test
    public void aPrepareThatWouldPadItsRecordIsRefusedAndLeavesNothing() throws Exception {
        TestHost host = new TestHost("destination", new Network(), null);
        host.useFileJournal();
        Messages.Prepare longUri = prepare("vm1", "k".repeat(40), "ferry+tls://host-a:16514/" + "x".repeat(70_000));
        Messages.Prepare longKey = prepare("vm2", "k".repeat(70_000), "ferry+tls://host-a:16514");

        MigrationException uri = assertThrows(MigrationException.class, () -> host.engine().prepare(longUri, "CN=host-a"));
        MigrationException key = assertThrows(MigrationException.class, () -> host.engine().prepare(longKey, "CN=host-a"));

        assertEquals("Prepare of migration " + longUri.id() + " carried a source URI of 70025 characters, over the "
                + DestinationPrepare.MAX_SOURCE_URI_CHARS + " this host records", uri.getMessage());
        assertEquals("Prepare of migration " + longKey.id() + " carried no valid key", key.getMessage());
        assertTrue(host.domain("vm1").isEmpty());
        assertTrue(host.domain("vm2").isEmpty());
        try (var records = Files.list(host.stateDir.resolve("migrations"))) {
            assertEquals(List.of(FileJournal.KEY_FILE), records.map(p -> p.getFileName().toString()).toList());
        }
        host.engine().prepare(prepare("vm3", "k".repeat(DestinationPrepare.MAX_KEY_CHARS),
                "ferry+tls://host-a:16514/" + "x".repeat(DestinationPrepare.MAX_SOURCE_URI_CHARS - 25)), "CN=host-a");
        assertEquals(DomainState.SHUTOFF, host.domain("vm3").orElseThrow().state());
    }

    /** Leased disks beside the definition's one, each with a path of about 100 characters. */
    private static String disks(int count) {
        return IntStream.range(0, count).mapToObj(i -> "<disk type='file'><source file='/disks/" + "d".repeat(80) + "/"
                + i + ".img'/><target dev='sd" + i + "'/></disk>").collect(Collectors.joining());
    }

    /** An offline Prepare of protocol 2 (no cookie baked on another host) of a domain new here. */
    private static Messages.Prepare prepare(String domain, String key, String sourceUri) throws Exception {
        return new Messages.Prepare(UUID.randomUUID().toString(), key, MigrationFlags.parse("offline,v2"),
                TestHost.definition(domain), null, List.of(), sourceUri);
    }
}
