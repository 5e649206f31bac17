package io.ferry.driver.qemu;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A QMP connection: JSON through Jackson, one command at a time, each with a time limit. Whoever holds the
 * connection reads it (no thread of its own): events that arrive between or amid replies are kept, the last
 * {@link #MAX_EVENTS} of them, for {@link #awaitEvent}. When QEMU goes away mid-command, the call fails with
 * what {@code lastWords} says (the last line of QEMU's log). A caller waits at most its time limit for the connection,
 * then its limit again for QEMU's reply: callers of a hung QEMU each fail in their own time, not one after another's,
 * and one queued behind a slow command still has its whole limit for its own reply.
 */
final class Qmp implements Closeable {
    /**
     * A message of more JSON values is refused: 3 bytes of JSON make a node of some 80 bytes, so that a 16 MiB
     * message would cost the daemon 450 MB (QEMU's largest answer, its QMP schema, has some 36 000).
     */
    private static final long MAX_TOKENS = 1_000_000;
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxTokenCount(MAX_TOKENS).build()).build());
    private static final int MAX_EVENTS = 256;
    private static final int MAX_LINE_BYTES = 16 << 20;
    /** QEMU's events are a few hundred bytes: a larger one is kept by its name only, not {@link #MAX_EVENTS} × 16 MiB. */
    static final int MAX_EVENT_BYTES = 4 << 10;
    /**
     * QEMU's events hold a few dozen JSON values: one of more is kept by its name only, as 4 KiB of {@code {},} are
     * 1,360 nodes, 117 KB of heap, and {@link #MAX_EVENTS} of them 30 MB of the daemon's 512 MB for each VM.
     */
    static final int MAX_EVENT_NODES = 128;
    /** How long what QEMU wrote before it closed its end is read: it is all in the socket's buffer by then. */
    private static final long END_READ_MILLIS = 1_000;
    /**
     * The oldest QEMU the driver drives: {@code migrate-incoming}'s {@code exit-on-error} (which keeps a failed load's
     * reason to ask) and {@code -run-with user=} came with 9.1; an older one failed each Prepare, or each start, with
     * QEMU's words for one parameter.
     */
    static final int OLDEST_MAJOR = 9;
    static final int OLDEST_MINOR = 1;

    /** A command QEMU refused: its error class and description. */
    static final class CommandError extends HypervisorException {
        private static final long serialVersionUID = 1L;
        final String errorClass;

        CommandError(String command, String errorClass, String description) {
            super(command + " failed: " + UntrustedText.of(description));
            this.errorClass = errorClass;
        }
    }

    private final SocketChannel channel;
    private final Selector selector;
    private final Supplier<String> lastWords;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private ByteArrayOutputStream line = new ByteArrayOutputStream();
    /** Past a message over {@link #MAX_LINE_BYTES}: its bytes are dropped up to its end. */
    private boolean skippingLine;
    private final QmpEvents events = new QmpEvents(MAX_EVENTS);
    /**
     * Held by whoever writes or reads the connection, taken in the order asked for (fair) within the taker's own time
     * limit, an interrupt notwithstanding (a migration interrupted still cancels QEMU's). A monitor was taken for as
     * long as the calls ahead held it: behind a hung QEMU, the k-th of concurrent calls waited k × their limits, and
     * {@code ferry list}'s second a domain became minutes.
     */
    private final ReentrantLock connection = new ReentrantLock(true);
    /** What the connection's holder waits for: named to a caller that could not take it in time. */
    private volatile String heldFor = "another command";
    private long nextId;
    private volatile boolean closed;

    private Qmp(SocketChannel channel, Supplier<String> lastWords) throws IOException {
        this.channel = channel;
        this.lastWords = lastWords;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        buffer.flip();
    }

    /**
     * Connects to QEMU's QMP socket, retrying while it is not there yet and {@code alive} holds, until
     * {@code timeoutMillis}; reads the greeting and leaves capabilities negotiation mode.
     */
    static Qmp connect(Path socket, long timeoutMillis, Supplier<Boolean> alive, Supplier<String> lastWords)
            throws HypervisorException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            SocketChannel channel = null;
            try {
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                channel.configureBlocking(false); // a backlog QEMU never accepts from fails here, not blocks for good
                if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
                    while (!channel.finishConnect()) {
                        if (System.nanoTime() > deadline) {
                            throw new IOException("the connection was not accepted");
                        }
                        sleep(1);
                    }
                }
                Qmp qmp = new Qmp(channel, lastWords);
                try {
                    JsonNode greeting = qmp.read(deadline, "the QMP greeting");
                    if (!greeting.has("QMP")) {
                        throw new HypervisorException("unexpected QMP greeting on " + socket + ": "
                                + UntrustedText.of(greeting.toString()));
                    }
                    requireSupported(greeting.path("QMP").path("version").path("qemu"));
                    qmp.execute("qmp_capabilities", null, timeoutMillis);
                    return qmp;
                } catch (HypervisorException | RuntimeException e) {
                    qmp.close();
                    throw e;
                }
            } catch (IOException e) {
                closeQuietly(channel);
                if (!alive.get()) {
                    throw new HypervisorException("QEMU exited: " + lastWords.get());
                }
                if (System.nanoTime() > deadline) {
                    throw new HypervisorException("QEMU's QMP socket " + socket + " did not answer within "
                            + timeoutMillis + " ms: " + e.getMessage(), e);
                }
                sleep(1); // QEMU makes its socket 30-40 ms after it starts: a coarser retry would add half its period to Prepare
            }
        }
    }

    private static void requireSupported(JsonNode version) throws HypervisorException {
        int major = version.path("major").asInt(-1);
        int minor = version.path("minor").asInt(-1);
        if (major < OLDEST_MAJOR || major == OLDEST_MAJOR && minor < OLDEST_MINOR) {
            String named = major < 0 ? "a QEMU whose QMP greeting names no version" : "QEMU " + major + "." + minor + "."
                    + version.path("micro").asInt(0);
            throw new HypervisorException(named + " is older than " + OLDEST_MAJOR + "." + OLDEST_MINOR + ", the oldest"
                    + " this driver drives (see docs/qemu.md)");
        }
    }

    /**
     * Runs a command; returns its {@code return} value. The connection is waited for at most {@code timeoutMillis}, and
     * the reply as long again from when it is held.
     */
    JsonNode execute(String command, ObjectNode arguments, long timeoutMillis) throws HypervisorException {
        take(deadline(timeoutMillis), command);
        try {
            return executeHeld(command, arguments, deadline(timeoutMillis));
        } finally {
            connection.unlock();
        }
    }

    private JsonNode executeHeld(String command, ObjectNode arguments, long deadline) throws HypervisorException {
        String id = "ferry-" + ++nextId;
        ObjectNode request = JSON.createObjectNode().put("execute", command);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        request.put("id", id);
        try {
            write(ByteBuffer.wrap(JSON.writeValueAsBytes(request)), deadline, command);
            write(ByteBuffer.wrap(new byte[] {'\n'}), deadline, command);
        } catch (IOException e) {
            throw endedBeforeWritten(command, e);
        }
        while (true) {
            JsonNode message = read(deadline, command);
            if (!id.equals(message.path("id").asText(null))) {
                continue; // an event (kept by read), or the late reply of a command that timed out
            }
            if (message.has("error")) {
                JsonNode error = message.get("error");
                throw new CommandError(command, error.path("class").asText(), error.path("desc").asText());
            }
            return message.path("return");
        }
    }

    /**
     * The first kept event that {@code matches}, removed; reads for more until {@code timeoutMillis}. Null when
     * none came in time.
     */
    JsonNode awaitEvent(Predicate<JsonNode> matches, long timeoutMillis) throws HypervisorException {
        long deadline = deadline(timeoutMillis);
        JsonNode kept = events.take(matches);
        if (kept != null) {
            return kept;
        }
        try {
            take(deadline, "an event");
        } catch (HypervisorException busy) {
            return events.take(matches); // its holder may have read it meanwhile
        }
        try {
            while (true) {
                JsonNode event = events.take(matches);
                if (event != null) {
                    return event;
                }
                if (System.nanoTime() >= deadline || read(deadline, "an event", false) == null) {
                    return null;
                }
            }
        } finally {
            connection.unlock();
        }
    }

    /**
     * After QEMU ended: whether it announced {@code SHUTDOWN} before it closed its end (what it wrote is read here to
     * that end, at most {@code timeoutMillis}), as libvirt's end-of-monitor handler tells a shutdown from a crash.
     */
    boolean announcedShutdown(long timeoutMillis) {
        long deadline = deadline(timeoutMillis);
        try {
            // a holder meets QEMU's end at once and lets go: waited for (a second at least), for the events it read
            take(Math.max(deadline, deadline(END_READ_MILLIS)), "the end of QMP");
            try {
                while (!closed && read(deadline, "the end of QMP", false) != null) {
                    // each event read is kept
                }
            } finally {
                connection.unlock();
            }
        } catch (HypervisorException e) {
            // the end of the connection, what QEMU wrote last was cut, or a holder still reads: the events kept tell
        }
        return events().stream().anyMatch(event -> "SHUTDOWN".equals(event.path("event").asText()));
    }

    /** The events kept so far, oldest first, without removing them. */
    List<JsonNode> events() {
        return events.list();
    }

    private static long deadline(long timeoutMillis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /**
     * Takes the connection by {@code deadline}, or fails as QEMU's silence does: {@code what} not answered in time. An
     * interrupt does not end the wait (OutgoingMigration, interrupted, cancels QEMU's migration through here); it is
     * kept for the caller.
     */
    private void take(long deadline, String what) throws HypervisorException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (connection.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        heldFor = what;
                        return;
                    }
                    throw new HypervisorException("QEMU did not answer " + what + " in time: its monitor was busy with "
                            + heldFor);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void write(ByteBuffer bytes, long deadline, String command) throws IOException, HypervisorException {
        while (bytes.hasRemaining()) {
            if (channel.write(bytes) == 0) {
                if (System.nanoTime() > deadline) {
                    throw timeout(command);
                }
                sleep(1);
            }
        }
    }

    private JsonNode read(long deadline, String what) throws HypervisorException {
        return read(deadline, what, true);
    }

    /** The next message (an event is also kept); at the deadline, null or a timeout error. */
    private JsonNode read(long deadline, String what, boolean failOnTimeout) throws HypervisorException {
        try {
            while (true) {
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (skippingLine) {
                        skippingLine = b != '\n';
                        continue;
                    }
                    if (b == '\n') {
                        byte[] bytes = line.toByteArray();
                        boolean oversized = bytes.length > MAX_EVENT_BYTES;
                        dropLine(); // before parsing: an unreadable message must not stick to the next one
                        JsonNode message = parse(bytes);
                        if (message == null) {
                            continue;
                        }
                        if (message.has("event")) {
                            events.keep(oversized || exceedsNodes(message, MAX_EVENT_NODES)
                                    ? JSON.createObjectNode().put("event", message.path("event").asText()) : message);
                        }
                        return message;
                    }
                    if (line.size() >= MAX_LINE_BYTES) {
                        dropLine();
                        skippingLine = true; // its rest up to its newline: the next message is read whole
                        throw new HypervisorException("QMP message longer than " + MAX_LINE_BYTES + " bytes");
                    }
                    line.write(b);
                }
                long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (wait <= 0) {
                    if (failOnTimeout) {
                        throw timeout(what);
                    }
                    return null;
                }
                selector.select(wait);
                selector.selectedKeys().clear();
                buffer.clear();
                int n = channel.read(buffer);
                buffer.flip();
                if (n < 0) {
                    throw gone(what, null);
                }
            }
        } catch (IOException e) {
            throw gone(what, e);
        } catch (java.nio.channels.ClosedSelectorException e) {
            throw gone(what, null);
        }
    }

    /** Whether {@code root} holds more than {@code limit} nodes, itself included; counted without recursion. */
    static boolean exceedsNodes(JsonNode root, int limit) {
        Deque<JsonNode> pending = new ArrayDeque<>(List.of(root));
        int counted = 0;
        while (!pending.isEmpty()) {
            if (++counted > limit) {
                return true;
            }
            pending.pop().forEach(pending::push);
        }
        return false;
    }

    private void dropLine() {
        if (line.size() > MAX_EVENT_BYTES) {
            line = new ByteArrayOutputStream(); // not a large buffer kept for good
        } else {
            line.reset();
        }
    }

    private static JsonNode parse(byte[] bytes) throws HypervisorException {
        if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new HypervisorException("unreadable QMP message: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new HypervisorException("unreadable QMP message: " + e.getMessage(), e);
        }
    }

    /**
     * A command whose writing found QEMU's end closed: what QEMU wrote before it closed is read first, to that end, and
     * its events kept, as a read that meets the end keeps them. A guest's power-off announces SHUTDOWN and then ends
     * QEMU: a command written after the announcement lost it, and the shutdown read as a crash when QEMU took more
     * than a second to end (CI, 2026-12-05).
     */
    private HypervisorException endedBeforeWritten(String command, IOException cause) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(END_READ_MILLIS);
        try {
            while (read(deadline, command, false) != null) {
                // each event read is kept
            }
        } catch (HypervisorException end) {
            if (closed) {
                end.addSuppressed(cause);
                return end; // the end met, or this connection closed by its holder: either says so
            }
        }
        return gone(command, cause);
    }

    private HypervisorException timeout(String what) {
        return new HypervisorException("QEMU did not answer " + what + " in time");
    }

    private HypervisorException gone(String what, IOException cause) {
        if (closed) {
            return new HypervisorException("the QMP connection was closed during " + what, cause);
        }
        close();
        return new HypervisorException("QEMU exited during " + what + ": " + lastWords.get(), cause);
    }

    boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
