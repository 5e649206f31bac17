package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.DomainMessages.JobStats;
import io.ferry.protocol.Xml;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/**
 * {@code ferry migrate --verbose} shows its own migration's progress only, from the domain's job as the source daemon
 * reports it (after the trip through the channel): while another migration holds the domain it says it waits for it,
 * and once its own was seen another's job is not shown.
 */
public class ProgressTest {
    private static final String OWN = "6f1c0a52-7d4e-4b8e-9a51-0c3d2e1f4a5b";
    private static final String OTHER = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final Progress progress = new Progress(null, "vm1", OWN, new PrintStream(printed, true, StandardCharsets.UTF_8));

    private void reported(String migration, int percent) throws Exception {
        JobStats stats = new JobStats(900, 64 << 20, 0, 0, 0, 0, 1, 0, 0, 4096, false, percent);
        Job job = new Job("unbounded", "Outgoing migration", stats, null, migration);
        progress.show(Job.fromXml(Xml.of(ControlClient.parse(job.toXml()))));
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void anotherMigrationHoldingTheDomainIsWaitedForNotShown() throws Exception {
        reported(OTHER, 40);
        reported(OTHER, 45);
        reported(OWN, 3);
        progress.done();

        assertEquals("Migration: waiting for the job of domain vm1 (held by migration " + OTHER + ", Outgoing migration)\n"
                + "\rMigration: [  3 %]\rMigration: [100 %]\n", printed());
    }

    /** A poll still in flight when the migration ended (an interrupt does not stop a call) prints nothing after it. */
    @Test
    public void aPollAnsweredAfterTheEndPrintsNothing() throws Exception {
        reported(OWN, 90);
        progress.done();
        reported(OWN, 99);

        assertEquals("\rMigration: [ 90 %]\rMigration: [100 %]\n", printed());
    }

    @Test
    public void aMigrationBegunAfterItsOwnIsNotShown() throws Exception {
        reported(OWN, 50);
        reported(OTHER, 5);

        assertEquals("\rMigration: [ 50 %]", printed());
    }

    @Test
    public void noJobShowsNothing() throws Exception {
        progress.show(Job.fromXml(Xml.of(ControlClient.parse(new Job("none", null, null, null).toXml()))));

        assertEquals("", printed());
    }

    @Test
    public void aJobOfADaemonThatDoesNotNameItsMigrationIsShownAsBefore() throws Exception {
        reported(null, 12);

        assertEquals("\rMigration: [ 12 %]", printed());
    }

    /** A command that fails ends its progress line: its error is a line of its own, not the progress line's tail. */
    @Test
    public void aFailedMigrationEndsItsProgressLine() throws Exception {
        reported(OWN, 45);
        progress.close();

        assertEquals("\rMigration: [ 45 %]\n", printed());
    }

    /** A warning while the progress shows (the destination could not resume the guest) starts a line of its own. */
    @Test
    public void aWarningStartsALineOfItsOwn() throws Exception {
        reported(OWN, 97);
        progress.line("warning: Confirm failed");
        progress.done();

        assertEquals("\rMigration: [ 97 %]\nwarning: Confirm failed\n\rMigration: [100 %]\n", printed());
    }

    @Test
    public void aCommandThatShowedNoProgressPrintsNoEmptyLine() throws Exception {
        progress.close();

        assertEquals("", printed());
    }
}
