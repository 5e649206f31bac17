package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/**
 * A QEMU that does not answer (stopped, stuck on its storage) while several callers share its monitor: each waits
 * for the connection within its own time limit, as it waits for QEMU's reply, and never for the whole of the calls
 * ahead of it ({@code ferry list} promises a second a domain; Finish and settle calls queued behind operators' ones).
 */
public class QmpBusyTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    @Rule
    public Timeout hangGuard = Timeout.seconds(30); // the calls below queued behind the holder for good before

    @Test
    public void aCallWhileAnotherHoldsTheConnectionFailsWithinItsOwnLimit() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            held.countDown();
            awaitQuietly(answer); // QEMU answers the first command only once the calls below are done
            FakeQmp.write(out, "{\"event\": \"STOP\"}\n{\"return\": {\"status\": \"running\"}, \"id\": \""
                    + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            FutureTask<JsonNode> holder = Guests.async("holder", () -> qmp.execute("query-spice", null, 60_000));
            held.await();

            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> qmp.execute("query-status", null, 200));
            assertEquals("QEMU did not answer query-status in time: its monitor was busy with query-spice",
                    e.getMessage());
            assertNull("no event in time", qmp.awaitEvent(event -> true, 200));
            assertEquals("the events kept are read without the connection", List.of(), qmp.events());

            answer.countDown();
            assertEquals("the holder's answer", "running", holder.get().path("status").asText());
            assertEquals("the event read by the holder", 1, qmp.events().size());
            assertEquals("running", qmp.execute("query-status", null, 10_000).path("status").asText());
        } finally {
            answer.countDown();
        }
    }

    /**
     * A migration's thread that was interrupted (OutgoingMigration keeps the flag) still sends migrate_cancel and
     * cont: a lock taken interruptibly failed them at once, and QEMU's migration went on.
     */
    @Test
    public void anInterruptedCallerIsStillAnsweredAndKeepsItsInterrupt() throws Exception {
        assertTrue("answered, and the interrupt kept for its caller", behindAHolder(0, 0, qmp -> {
            Thread.currentThread().interrupt();
            qmp.execute("migrate_cancel", null, 10_000); // waits for the holder, interrupted
            return Thread.currentThread().isInterrupted();
        }));
    }

    /**
     * The wait for the connection and the wait for QEMU's reply have a limit each: a migration's query-migrate queued
     * behind another command still has its whole limit for its own reply once it has the connection (a QEMU slow to
     * answer each, not hung, answered them all). The holder keeps the connection for less than the caller's limit.
     */
    @Test
    public void aCallerHasItsWholeLimitForTheReplyOnceItHasTheConnection() throws Exception {
        JsonNode reply = behindAHolder(2_500, 2_500, qmp -> qmp.execute("query-migrate", null, 4_000));
        assertEquals("active", reply.path("status").asText());
    }

    /** A call to make of {@link Qmp}. */
    private interface QmpCall<T> {
        T on(Qmp qmp) throws Exception;
    }

    /**
     * Makes {@code call} on a thread of its own while query-spice holds the connection, which QEMU answers
     * {@code holdMillis} after the call began; QEMU answers each other command {@code replyMillis} after it came.
     */
    private <T> T behindAHolder(long holdMillis, long replyMillis, QmpCall<T> call) throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            if (FakeQmp.command(command).equals("query-spice")) {
                held.countDown();
                awaitQuietly(answer);
            } else {
                sleepQuietly(replyMillis);
            }
            FakeQmp.write(out, "{\"return\": {\"status\": \"active\"}, \"id\": \"" + FakeQmp.id(command)
                    + "\"}\n");
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            FutureTask<JsonNode> holder = Guests.async("holder", () -> qmp.execute("query-spice", null, 60_000));
            held.await();
            FutureTask<T> queued = Guests.async("queued", () -> call.on(qmp));
            sleepQuietly(holdMillis);
            answer.countDown();
            holder.get();
            return queued.get();
        } finally {
            answer.countDown();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
