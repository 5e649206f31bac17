package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.DomainMessages.JobStats;
import io.ferry.protocol.Xml;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/** {@code domjobinfo} prints a job as virsh does, a failed one with its error, after the trip through the channel. */
public class JobPrinterTest {
    private static String printed(Job job) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Job received = Job.fromXml(Xml.of(ControlClient.parse(job.toXml())));
        new JobCommands.Printer(new PrintStream(out, true, StandardCharsets.UTF_8)).print(received);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void aFailedJobShowsItsTypeAndError() throws Exception {
        JobStats none = new JobStats(12, 0, 0, 0, 0, 0, 0, 0, 0, 4096, false, 0);
        String text = printed(new Job("failed", "Outgoing migration", none,
                "cookie section tpm is mandatory for this domain, but the source has version 1.0 and this host 2.0"));
        assertTrue(text, text.startsWith("Job type:         Failed\n"
                + "Error message:    cookie section tpm is mandatory for this domain, but the source has version 1.0 and this host 2.0\n"
                + "Operation:        Outgoing migration\n"));
        assertTrue(text, text.contains("Memory processed: 0.000 MiB\n"));
        assertTrue(text, text.contains("Total downtime:   0 ms\n"));
    }

    /** As virsh's domjobinfo on a domain without a job: its type alone, whatever figures came with it. */
    @Test
    public void noJobIsItsTypeAlone() throws Exception {
        JobStats zero = new JobStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 4096, false, 0);
        assertEquals("Job type:         None\n", printed(new Job("none", null, zero, null)));
    }

    @Test
    public void aCompletedJobHasNoErrorLine() throws Exception {
        JobStats done = new JobStats(900, 64 << 20, 70 << 20, 0, 1 << 20, 2000, 3, 41, 5, 4096, true, 100);
        String text = printed(new Job("completed", "Incoming migration", done, null));
        assertTrue(text, text.startsWith("Job type:         Completed\nOperation:        Incoming migration\n"));
        assertEquals(text, -1, text.indexOf("Error message"));
        assertTrue(text, text.contains("Memory verified:  yes\n"));
    }

    @Test
    public void aRunningJobsExpectedDowntimeIsSetOffFromItsLabel() throws Exception {
        JobStats running = new JobStats(2901, 64 << 20, 14 << 20, 50 << 20, 5 << 20, 2124, 1, 0, 0, 4096, false, 22);
        String text = printed(new Job("unbounded", "Outgoing migration", running, null));
        assertTrue(text, text.startsWith("Job type:         Unbounded\n"));
        assertTrue(text, text.contains("\nExpected downtime: 0 ms\n"));
        assertTrue(text, text.contains("\nSetup time:       0 ms\n"));
    }
}
