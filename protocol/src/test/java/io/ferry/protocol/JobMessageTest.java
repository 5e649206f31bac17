package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.DomainMessages.JobStats;
import org.junit.Test;

/** {@code domjobinfo}'s message: a job's statistics come through whole, a job without them (none yet) without. */
public class JobMessageTest {
    @Test
    public void aJobsStatisticsComeThroughWhole() throws Exception {
        Job job = new Job("unbounded", "outgoing migration", new JobStats(1_500, 1L << 30, 600L << 20, 424L << 20,
                480L << 20, 12L << 20, 3, 42, 7, 4096, true, 58), null, "m-7");

        assertEquals(job, read(job.toXml()));
    }

    @Test
    public void aJobWithoutStatisticsHasNone() throws Exception {
        Job job = new Job("none", null, null, "migration m-7 failed: Broken pipe", null);

        assertEquals(job, read(job.toXml()));
    }

    private static Job read(String xml) throws ChannelException {
        return Job.fromXml(Xml.of(ControlClient.parse(xml)));
    }
}
