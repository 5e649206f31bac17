package io.ferry.bench;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Xml;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Samples a domain's migration job ({@code GET /v1/domains/NAME/job}) on the source while it runs, every
 * {@code periodMillis}: what the charts of the report draw.
 */
final class JobSampler implements AutoCloseable {
    /** One look at the job: time since the sampling began, bytes sent and remaining, dirty rate, pre-copy pass. */
    record Sample(double millis, long processed, long remaining, long dirtyRate, long iteration) {
    }

    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    private volatile boolean stopping;

    JobSampler(ControlClient source, String domain, int periodMillis) {
        long start = System.nanoTime();
        thread = new Thread(() -> {
            while (!stopping) {
                try {
                    Xml job = Xml.of(ControlClient.parse(source.get("domains/" + domain + "/job")));
                    if ("unbounded".equals(job.attr("type")) && number(job, "total") > 0) { // the stream has begun
                        samples.add(new Sample((System.nanoTime() - start) / 1e6, number(job, "processed"),
                                number(job, "remaining"), number(job, "dirty-rate"), number(job, "iteration")));
                    }
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // the domain moved or the daemon is busy: the next look may find it
                }
            }
        }, "job-sampler-" + domain);
        thread.setDaemon(true);
        thread.start();
    }

    private static long number(Xml job, String attribute) {
        String value = job.attr(attribute);
        return value == null ? 0 : Long.parseLong(value);
    }

    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join();
    }
}
