package io.ferry.launcher;

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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A QMP connection of the QEMU demo's, the benchmark's and the end-to-end tests' own to a QEMU, beside the one its
 * daemon holds: a QEMU serves one client per monitor, so the guests they look at run {@link #wrapper}, which gives
 * every QEMU a second monitor ({@code RUN/test.sock}). It reads the test guest's RAM ({@code pmemsave}) and status
 * block (driver-qemu's src/guest/status.h), QEMU's run state and migration status, runs any other command, and keeps
 * the names of the events QEMU sends. Every wait is bounded.
 */
public final class QemuMonitor implements AutoCloseable {
    /** The test guest's status block: guest-physical address, and its magic once the guest has booted. */
    public static final int STATUS_ADDRESS = 0x200000;
    public static final int STATUS_MAGIC = 0x59525246;
    /** The test monitor's socket, in the run directory of a QEMU started through {@link #wrapper}. */
    public static final String SOCKET = "test.sock";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode CLOSED = JSON.createObjectNode();

    private final SocketChannel channel;
    private final long timeoutMillis;
    private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private volatile boolean open = true;
    private long nextId;

    private QemuMonitor(SocketChannel channel, long timeoutMillis) {
        this.channel = channel;
        this.timeoutMillis = timeoutMillis;
        Thread reader = new Thread(this::read, "qmp-monitor");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects to the monitor at {@code socket} once QEMU has made it, and leaves capabilities negotiation.
     *
     * @param timeoutMillis how long to wait for the socket, and then for each reply and condition
     */
    public static QemuMonitor connect(Path socket, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        SocketChannel channel = null;
        while (channel == null) {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) { // not there yet, or not listening yet
                channel.close();
                channel = null;
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("QEMU's monitor " + socket + " did not answer within " + timeoutMillis + " ms: "
                            + e.getMessage(), e);
                }
                sleep(10);
            }
        }
        QemuMonitor monitor = new QemuMonitor(channel, timeoutMillis);
        try {
            JsonNode greeting = monitor.reply("the QMP greeting");
            if (!greeting.has("QMP")) {
                throw new IOException("no QMP greeting on " + socket + ": " + greeting);
            }
            monitor.execute("qmp_capabilities", null);
            return monitor;
        } catch (IOException e) {
            monitor.close();
            throw e;
        }
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
                            synchronized (events) {
                                events.add(message);
                                events.notifyAll();
                            }
                        } else {
                            replies.add(message);
                        }
                    }
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // QEMU went, or this connection was closed
        } finally {
            open = false;
            replies.add(CLOSED);
            synchronized (events) {
                events.notifyAll();
            }
        }
    }

    /** An empty argument object for {@link #execute}. */
    public static ObjectNode arguments() {
        return JSON.createObjectNode();
    }

    /** Runs a command; returns its {@code return} value, or throws with QEMU's error. */
    public synchronized JsonNode execute(String command, ObjectNode arguments) throws IOException {
        ObjectNode request = JSON.createObjectNode().put("execute", command).put("id", "monitor-" + ++nextId);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        ByteBuffer bytes = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        JsonNode reply = reply(command);
        if (reply.has("error")) {
            throw new IOException(command + " failed: " + reply.get("error").path("desc").asText());
        }
        return reply.path("return");
    }

    private JsonNode reply(String what) throws IOException {
        try {
            JsonNode reply = replies.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (reply == null || reply == CLOSED) {
                throw new IOException("QEMU did not answer " + what + (reply == CLOSED ? ": it is gone" : " in time"));
            }
            return reply;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + what, e);
        }
    }

    /** QEMU's run state: running, paused, postmigrate, inmigrate… */
    public String runState() throws IOException {
        return execute("query-status", null).path("status").asText();
    }

    /** QEMU's migration status ({@code query-migrate}): none, active, completed, failed… */
    public String migrationStatus() throws IOException {
        return execute("query-migrate", null).path("status").asText("none");
    }

    /** {@code size} bytes of guest RAM from {@code address}, through a file in {@code dir} that QEMU writes. */
    public byte[] pmemsave(long address, long size, Path dir) throws IOException {
        Path file = Files.createTempFile(dir, "pmem", ".bin");
        try {
            execute("pmemsave", arguments().put("val", address).put("size", size).put("filename", file.toString()));
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The test guest's status block: its magic, the sweeps over its working set so far, its write counter. */
    public record GuestStatus(int magic, long passes, long writes) {
        public boolean booted() {
            return magic == STATUS_MAGIC;
        }
    }

    public GuestStatus guestStatus(Path dir) throws IOException {
        ByteBuffer block = ByteBuffer.wrap(pmemsave(STATUS_ADDRESS, 64, dir)).order(ByteOrder.LITTLE_ENDIAN);
        return new GuestStatus(block.getInt(0), block.getLong(8), block.getLong(16));
    }

    /** A check that may fail with an I/O error. */
    public interface Condition {
        boolean holds() throws IOException;
    }

    /** Waits, within this monitor's time limit, until {@code condition} holds; throws naming {@code what} if not. */
    public void await(String what, Condition condition) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("gave up waiting for " + what + " after " + timeoutMillis + " ms");
            }
            sleep(20);
        }
    }

    /** Waits until the test guest has booted and, when it dirties memory, swept its working set once. */
    public GuestStatus awaitBooted(boolean dirtying, Path dir) throws IOException {
        await("the guest to boot", () -> {
            GuestStatus status = guestStatus(dir);
            return status.booted() && (!dirtying || status.passes() > 0);
        });
        return guestStatus(dir);
    }

    /** Waits until the guest's write counter passes {@code writes}: it runs, on from there. */
    public GuestStatus awaitWritesBeyond(long writes, Path dir) throws IOException {
        await("the guest's write counter to pass " + writes, () -> guestStatus(dir).writes() > writes);
        return guestStatus(dir);
    }

    /** The names of the events QEMU has sent on this connection so far, oldest first. */
    public List<String> events() {
        return events.stream().map(e -> e.path("event").asText()).toList();
    }

    /**
     * The first event named {@code name} whose {@code data} has {@code field} = {@code value}, waiting for it as long
     * as this monitor's time limit; woken by its arrival, so that the moment it is seen is the moment it came.
     */
    public JsonNode awaitEvent(String name, String field, String value) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (events) {
            while (true) {
                for (JsonNode event : events) {
                    if (event.path("event").asText().equals(name) && event.path("data").path(field).asText().equals(value)) {
                        return event;
                    }
                }
                long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (!open || wait <= 0) {
                    throw new IOException("no " + name + " event with " + field + " " + value + (open ? " in time" : ": QEMU is gone"));
                }
                try {
                    events.wait(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for " + name, e);
                }
            }
        }
    }

    /** Waits until QEMU has closed this connection (it quit): every event it sent has been read. */
    public void awaitClosed() throws IOException {
        await("QEMU to close its monitor", () -> !open);
    }

    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /**
     * Writes, into {@code dir/monitored}, an executable {@code qemu-system-x86_64} with a second QMP monitor,
     * {@value #SOCKET} beside the daemon's {@code qmp.sock} in the VM's run directory: a domain whose {@code <emulator>}
     * is this script runs QEMU itself (found on PATH, with the pid the driver's pidfile names), as libvirt users wrap
     * it. Named as QEMU is: a peer daemon's definition may name no other program.
     */
    public static Path wrapper(Path dir) throws IOException {
        return script(Files.createDirectories(dir.resolve("monitored")).resolve("qemu-system-x86_64"), """
                for arg; do
                  case $arg in socket,id=qmp,path=*) qmp=${arg#socket,id=qmp,path=}; qmp=${qmp%%,*} ;; esac
                done
                exec qemu-system-x86_64 "$@" -chardev "socket,id=monitor,path=${qmp%/qmp.sock}/test.sock,server=on,wait=off" \\
                  -mon chardev=monitor,mode=control
                """);
    }

    /** An executable shell script at {@code file}. */
    public static Path script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
