package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Test
    public void callersOfAQemuThatNeverAnswersEachFailAsTimedOut() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> { }); // takes each command, answers none
                Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            List<FutureTask<String>> calls = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                calls.add(Guests.async("caller-" + i, () -> assertThrows(HypervisorException.class,
                        () -> qmp.execute("query-status", null, 1_000)).getMessage()));
            }
            for (FutureTask<String> call : calls) {
                assertTrue(call.get(), call.get().startsWith("QEMU did not answer query-status in time"));
            }
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
