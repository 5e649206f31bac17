package io.ferry.core.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.core.TestDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The migration journal's reader on a damaged entry: {@link FileJournal#find} reads an entry or reports it
 * unreadable (empty), never throws, and an entry it reads it records and reads back the same.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/core/migration/FileJournalFuzzTestInputs/}.
 */
class FileJournalFuzzTest {
    static {
        // every damaged entry is logged as an error: keep the fuzzer's output readable and fast
        System.setProperty("org.slf4j.simpleLogger.log." + FileJournal.class.getName(), "off");
    }

    private static final Path STATE = stateDir();
    private static final FileJournal JOURNAL = journal();

    @DictionaryEntries({"<migration", " id='fuzz'", " role='source'", " role='destination'", " step='", "begun",
            "performing", "committed", " domain='", " uuid='00000000-0000-4000-8000-000000000001'", " peer='", " flags='",
            "live,p2p,tunnelled,offline,persistent,undefinesource,v2", " key='", " leases='", " was-running='yes'",
            "&#13;", "&amp;", "<!DOCTYPE", "/>"})
    @FuzzTest(maxDuration = "4h", maxExecutions = 10_000_000)
    void damagedEntriesAreReadOrReportedAndWhatIsReadRecordsAgain(byte[] entry) throws IOException {
        Files.write(STATE.resolve("migrations").resolve("fuzz.xml"), entry);
        Optional<Journal.Entry> read = JOURNAL.find("fuzz");
        if (read.isPresent()) {
            Journal.Entry accepted = read.get();
            JOURNAL.record(accepted);
            assertEquals(read, JOURNAL.find(accepted.id()), "the journal reads back differently what it recorded");
        }
    }

    private static Path stateDir() {
        try {
            return TestDirectories.create("journal-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileJournal journal() {
        try {
            return new FileJournal(STATE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
