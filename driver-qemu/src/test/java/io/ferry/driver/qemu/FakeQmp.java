package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.BiConsumer;

/**
 * A QMP server on a unix socket that plays a hostile QEMU: it greets, accepts {@code qmp_capabilities}, then hands
 * every further command line to {@code answer}, which writes whatever it likes.
 */
final class FakeQmp implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Thread thread;

    /** QEMU 10.0.2's greeting. */
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10},"
            + " \"package\": \"\"}, \"capabilities\": []}}";

    FakeQmp(Path socket, BiConsumer<String, OutputStream> answer) throws IOException {
        this(socket, GREETING, answer);
    }

    FakeQmp(Path socket, String greeting, BiConsumer<String, OutputStream> answer) throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(() -> serve(greeting, answer), "fake-qmp");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve(String greeting, BiConsumer<String, OutputStream> answer) {
        try (SocketChannel client = server.accept()) {
            OutputStream out = Channels.newOutputStream(client);
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                    StandardCharsets.UTF_8));
            write(out, greeting + "\n");
            for (String line; (line = in.readLine()) != null;) {
                if (line.contains("qmp_capabilities")) {
                    write(out, "{\"return\": {}, \"id\": \"" + id(line) + "\"}\n");
                } else {
                    answer.accept(line, out);
                }
            }
        } catch (IOException e) {
            // the client went
        }
    }

    static String id(String command) {
        return json(command).path("id").asText();
    }

    /** The name of the command on {@code line} ({@code execute}'s value). */
    static String command(String line) {
        return json(line).path("execute").asText();
    }

    /** The command on {@code line}, parsed. */
    static JsonNode json(String line) {
        try {
            return Qmp.JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void write(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Whether the client, if one came, closed its connection within {@code millis}. */
    boolean clientGone(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
