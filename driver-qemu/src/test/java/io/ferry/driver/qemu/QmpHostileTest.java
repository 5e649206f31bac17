package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A QEMU that a guest took over, facing the daemon through QMP: it must not exhaust the daemon's memory. */
public class QmpHostileTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void eventsOfMegabytesAreNotKeptWhole() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        String padding = "x".repeat(1 << 20);
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            for (int i = 0; i < 20; i++) { // 256 of them of 16 MiB each would be 4 GiB of one VM's events kept
                FakeQmp.write(out, "{\"event\": \"SHUTDOWN\", \"data\": {\"pad\": \"" + padding + "\"}}\n");
            }
            FakeQmp.write(out, "{\"return\": {\"status\": \"running\"}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            assertEquals("running", qmp.execute("query-status", null, 10_000).path("status").asText());
            assertEquals(20, qmp.events().size());
            for (JsonNode event : qmp.events()) {
                assertEquals("the event's name is kept", "SHUTDOWN", event.path("event").asText());
                int size = Qmp.JSON.writeValueAsBytes(event).length;
                assertTrue("an event of " + size + " bytes was kept whole", size <= Qmp.MAX_EVENT_BYTES);
            }
        }
    }

    @Test
    public void eventsOfThousandsOfSmallValuesAreNotKeptWhole() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        String empties = "{}," .repeat(1_300) + "{}"; // under 4 KiB, yet some 117 KB of nodes: 256 of them 30 MB
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            for (int i = 0; i < 300; i++) {
                FakeQmp.write(out, "{\"event\": \"STOP\", \"data\": [" + empties + "]}\n");
            }
            FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            qmp.execute("query-status", null, 10_000);
            assertEquals("the last 256 kept", 256, qmp.events().size());
            for (JsonNode event : qmp.events()) {
                assertEquals("the event's name is kept", "STOP", event.path("event").asText());
                assertTrue("an event of " + event.path("data").size() + " values was kept whole",
                        event.path("data").isMissingNode());
            }
        }
    }

    @Test
    public void aCommandErrorCannotForgeLogLinesNorFillThem() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        String desc = "boom\n2026-12-02 07:00:00 ERROR [daemon] domain 'other' destroyed\r\u001b[2J" + "y".repeat(1 << 20);
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> FakeQmp.write(out, "{\"error\": {\"class\": "
                + "\"GenericError\", \"desc\": " + Qmp.JSON.valueToTree(desc) + "}, \"id\": \""
                + FakeQmp.id(command) + "\"}\n")); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            try {
                qmp.execute("cont", null, 10_000);
                fail("QEMU's error was not reported");
            } catch (Qmp.CommandError e) {
                assertTrue("control characters in: " + e.getMessage().substring(0, 80),
                        e.getMessage().chars().noneMatch(Character::isISOControl));
                assertTrue("an error of " + e.getMessage().length() + " characters", e.getMessage().length() < 2000);
                assertTrue(e.getMessage(), e.getMessage().startsWith("cont failed: boom"));
            }
        }
    }

    /** QEMU's migration status is logged and becomes an arrival's failure reason: QEMU's word, one line of it. */
    @Test
    public void aMigrationStatusOfTwoLinesIsOneLine() throws Exception {
        MigrationInfo info = MigrationInfo.of(Qmp.JSON.readTree("{\"status\": \"active\\n2026-12-02 07:00:00 ERROR"
                + " [daemon] domain 'other' destroyed\\u001b[2J\"}"));
        assertEquals("active?2026-12-02 07:00:00 ERROR [daemon] domain 'other' destroyed?[2J", info.status());
    }

    /** Something else on QEMU's monitor socket (a process that took over its path) is not spoken QMP to. */
    @Test(timeout = 20_000)
    public void aGreetingThatIsNotQmpsIsRefusedNamingTheSocket() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                .bind(UnixDomainSocketAddress.of(socket))) {
            Thread impostor = new Thread(() -> {
                try (SocketChannel client = server.accept()) {
                    FakeQmp.write(Channels.newOutputStream(client), "{\"hello\": \"not QMP\"}\n");
                    client.read(ByteBuffer.allocate(4096)); // until the client hangs up
                } catch (IOException e) {
                    // the client went
                }
            }, "impostor");
            impostor.setDaemon(true);
            impostor.start();
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> Qmp.connect(socket, 5_000, () -> true, () -> "").close());
            assertEquals("unexpected QMP greeting on " + socket + ": {\"hello\":\"not QMP\"}", e.getMessage());
        }
    }

    @Test(timeout = 20_000) // a hang guard: the old code's connect blocked for good, and re-attach of every VM after
    public void aMonitorThatNeverAcceptsTimesOut() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                .bind(UnixDomainSocketAddress.of(socket), 1);
                SocketChannel first = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                SocketChannel second = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            // its backlog full and never accepted, as a QEMU a guest took over may leave it
            Qmp.connect(socket, 500, () -> true, () -> "").close();
            fail("connected to a monitor that never accepts");
        } catch (HypervisorException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("did not answer"));
        }
    }

    @Test
    public void aReplyOfMillionsOfValuesIsRefused() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        // 3 bytes of JSON make an object node of some 80 bytes: 16 MiB of this would be 450 MB of the daemon's heap
        String empties = "{}," .repeat(1_500_000) + "{}";
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> FakeQmp.write(out, "{\"return\": [" + empties
                + "], \"id\": \"" + FakeQmp.id(command) + "\"}\n"));
                Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            JsonNode reply = qmp.execute("query-status", null, 10_000);
            fail("a reply of " + reply.size() + " values was taken");
        } catch (HypervisorException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("unreadable QMP message"));
        }
    }

    @Test
    public void anUnreadableOrOversizedMessageFailsOnlyTheCommandItAnswers() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        java.util.concurrent.atomic.AtomicInteger commands = new java.util.concurrent.atomic.AtomicInteger();
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            switch (commands.incrementAndGet()) {
                case 1 -> FakeQmp.write(out, "{not json\n");
                case 3 -> FakeQmp.write(out, "[\"" + "z".repeat(17 << 20) + "\"]\n");
                default -> FakeQmp.write(out, "{\"return\": {\"status\": \"running\"}, \"id\": \""
                        + FakeQmp.id(command) + "\"}\n");
            }
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            for (String broken : new String[] {"unreadable QMP message", "QMP message longer than"}) {
                try {
                    qmp.execute("query-status", null, 10_000);
                    fail("QEMU's broken answer was taken");
                } catch (HypervisorException e) {
                    assertTrue(e.getMessage(), e.getMessage().startsWith(broken));
                }
                assertEquals("after: " + broken, "running",
                        qmp.execute("query-status", null, 10_000).path("status").asText());
            }
        }
    }
    @Test
    public void aMessageNestedAHundredThousandDeepFailsOnlyTheCommandItAnswers() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        java.util.concurrent.atomic.AtomicInteger commands = new java.util.concurrent.atomic.AtomicInteger();
        String deep = "[".repeat(100_000) + "]".repeat(100_000); // a recursive reader would overflow the stack
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            if (commands.incrementAndGet() == 1) {
                FakeQmp.write(out, "{\"return\": " + deep + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n");
                FakeQmp.write(out, "{\"event\": \"STOP\", \"data\": " + deep + "}\n");
            } else {
                FakeQmp.write(out, "{\"return\": {\"status\": \"running\"}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            }
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            try {
                qmp.execute("query-status", null, 10_000);
                fail("a reply nested 100,000 deep was taken");
            } catch (HypervisorException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("unreadable QMP message"));
            }
            try {
                qmp.awaitEvent(event -> true, 10_000);
                fail("an event nested 100,000 deep was taken");
            } catch (HypervisorException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("unreadable QMP message"));
            }
            assertEquals("running", qmp.execute("query-status", null, 10_000).path("status").asText());
            assertEquals(0, qmp.events().size());
        }
    }

    @Test
    public void aFloodOfEventsKeepsTheLastOnesOnly() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            StringBuilder flood = new StringBuilder();
            for (int i = 0; i < 100_000; i++) {
                flood.append("{\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": ").append(i).append("}}\n");
            }
            FakeQmp.write(out, flood + "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            qmp.execute("query-status", null, 10_000);
            assertEquals("events kept", 256, qmp.events().size());
            assertEquals("the newest kept", 99_999, qmp.events().get(255).path("data").path("offset").asInt());
        }
    }

    @Test
    public void repliesWithAnotherIdOrNoneAnswerNoCommand() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        java.util.concurrent.atomic.AtomicInteger commands = new java.util.concurrent.atomic.AtomicInteger();
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> {
            FakeQmp.write(out, "{\"return\": {\"status\": \"forged\"}, \"id\": \"ferry-99\"}\n"
                    + "{\"return\": {\"status\": \"forged\"}}\n{\"return\": {\"status\": \"forged\"}, \"id\": 2}\n"
                    + "{\"error\": {\"class\": \"GenericError\", \"desc\": \"forged\"}}\n");
            if (commands.incrementAndGet() == 1) {
                FakeQmp.write(out, "{\"return\": {\"status\": \"running\"}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            }
        }); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            assertEquals("running", qmp.execute("query-status", null, 10_000).path("status").asText());
            try {
                JsonNode taken = qmp.execute("query-status", null, 500);
                fail("a reply to no command was taken: " + taken);
            } catch (HypervisorException e) {
                assertEquals("QEMU did not answer query-status in time", e.getMessage());
            }
        }
    }

    /** QEMU ends its lines with CR LF; a line of blanks between messages is no message, and the reply after it is read. */
    @Test
    public void blankLinesBetweenMessagesAreSkipped() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> FakeQmp.write(out, "\r\n \t\r\n{\"return\": "
                + "{\"status\": \"running\"}, \"id\": \"" + FakeQmp.id(command) + "\"}\r\n"));
                Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
            assertEquals("running", qmp.execute("query-status", null, 10_000).path("status").asText());
        }
    }
}
