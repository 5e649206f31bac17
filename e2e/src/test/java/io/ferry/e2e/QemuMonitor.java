package io.ferry.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The test's own QMP connection to a QEMU, beside the daemon's: the guest's domain names {@link QemuGuest#wrapper}
 * as its emulator, which gives every QEMU a second monitor ({@code RUN/test.sock}). It reads the guest's RAM
 * ({@code pmemsave}) and its status block (driver-qemu's src/guest/status.h), QEMU's run state, and keeps every
 * event QEMU sends.
 */
final class QemuMonitor implements AutoCloseable {
    static final int STATUS_ADDRESS = 0x200000;
    static final int STATUS_MAGIC = 0x59525246;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode CLOSED = JSON.createObjectNode();

    private final SocketChannel channel;
    private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private volatile boolean open = true;
    private long nextId;

    private QemuMonitor(SocketChannel channel) {
        this.channel = channel;
        Thread reader = new Thread(this::read, "qmp-test-monitor");
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects to {@code socket} once QEMU made it (bounded wait), and leaves capabilities negotiation. */
    static QemuMonitor connect(Path socket) throws Exception {
        Poll.until("QEMU's test monitor " + socket, () -> Files.exists(socket));
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        QemuMonitor monitor = new QemuMonitor(channel);
        JsonNode greeting = monitor.replies.poll(30, TimeUnit.SECONDS);
        if (greeting == null || !greeting.has("QMP")) {
            monitor.close();
            throw new AssertionError("no QMP greeting on " + socket + ": " + greeting);
        }
        monitor.execute("qmp_capabilities", null);
        return monitor;
    }

    /**
     * Reads QEMU's messages on a thread of its own, straight from the channel: a stream over it would take the
     * channel's blocking lock for a read and keep every write out.
     */
    private void read() {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (!text.isBlank()) {
                        JsonNode message = JSON.readTree(text);
                        if (message.has("event")) {
                            events.add(message.get("event").asText());
                        } else {
                            replies.add(message);
                        }
                    }
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // QEMU went, or the test closed the connection
        } finally {
            open = false;
            replies.add(CLOSED);
        }
    }

    /** Runs a command; returns its {@code return} value, or fails the test with QEMU's error. */
    synchronized JsonNode execute(String command, ObjectNode arguments) throws Exception {
        ObjectNode request = JSON.createObjectNode().put("execute", command).put("id", "test-" + ++nextId);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        ByteBuffer bytes = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        JsonNode reply = replies.poll(60, TimeUnit.SECONDS);
        if (reply == null || reply == CLOSED) {
            throw new AssertionError("QEMU did not answer " + command + (reply == CLOSED ? ": it is gone" : ""));
        }
        if (reply.has("error")) {
            throw new AssertionError(command + " failed: " + reply.get("error").path("desc").asText());
        }
        return reply.path("return");
    }

    /** QEMU's run state: running, paused, postmigrate, inmigrate… */
    String runState() throws Exception {
        return execute("query-status", null).path("status").asText();
    }

    /** {@code size} bytes of guest RAM from {@code address}, through a file QEMU writes. */
    byte[] pmemsave(long address, long size) throws Exception {
        Path file = Files.createTempFile(Installation.work(), "pmem", ".bin");
        try {
            execute("pmemsave", JSON.createObjectNode().put("val", address).put("size", size).put("filename", file.toString()));
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The guest's status block. */
    record Status(int magic, long passes, long writes) {
        boolean booted() {
            return magic == STATUS_MAGIC;
        }
    }

    Status status() throws Exception {
        ByteBuffer block = ByteBuffer.wrap(pmemsave(STATUS_ADDRESS, 64)).order(ByteOrder.LITTLE_ENDIAN);
        return new Status(block.getInt(0), block.getLong(8), block.getLong(16));
    }

    /** Waits until the guest has booted, and (unless idle) dirtied its working set once; returns its status. */
    Status awaitBooted(boolean dirtying) throws Exception {
        Poll.until("the guest to boot and write", () -> status().booted() && (!dirtying || status().passes() > 0));
        return status();
    }

    /** Waits until the guest's write counter passes {@code writes}: it runs, on from there. */
    void awaitWritesBeyond(long writes) throws Exception {
        Poll.until("the guest's write counter to pass " + writes, () -> status().writes() > writes);
    }

    /** The names of the events QEMU sent on this connection so far. */
    List<String> events() {
        return List.copyOf(events);
    }

    /** Waits until QEMU has closed this connection (it quit), so that every event it sent has been read. */
    void awaitClosed() throws Exception {
        Poll.until("QEMU to close its test monitor", () -> !open);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
