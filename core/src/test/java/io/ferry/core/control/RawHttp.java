package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A request written to the channel byte for byte, as no well-behaved client would, and its whole reply as it comes. */
final class RawHttp {
    /** The call anyone admitted may make, kept alive. */
    static final String VERSION = "GET /v1/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    private RawHttp() {
    }

    /**
     * @param request the request whole, asking the server to close after its reply ({@code Connection: close})
     * @param closes the client shuts its side down once it has written the request
     */
    static String exchange(InetSocketAddress server, String request, boolean closes) throws IOException {
        try (Socket socket = new Socket(server.getAddress(), server.getPort())) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            if (closes) {
                socket.shutdownOutput();
            }
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Sends {@code request} on a connection that may carry more: its reply, read whole. */
    static String exchange(Socket client, String request) throws IOException {
        client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        return reply(client);
    }

    /** A caller refused here asks for the version: it is refused, told so, and its connection closed. */
    static void assertRefusedAndClosed(Socket client) throws IOException {
        assertRefusedAndClosed(client, VERSION, 403);
    }

    /** {@code request} is refused with {@code status}, the reply says the connection closes, and it does. */
    static void assertRefusedAndClosed(Socket client, String request, int status) throws IOException {
        String reply = exchange(client, request);

        assertTrue(reply, reply.startsWith("HTTP/1.1 " + status + " "));
        assertTrue(reply, reply.contains("\r\nConnection: close\r\n"));
        assertClosed(client);
    }

    /** A reply, headers and body, read off the connection so that the next reply follows. */
    static String reply(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                fail("connection closed before a reply; got: " + head.toString(StandardCharsets.US_ASCII));
            }
            head.write(b);
        }
        String reply = head.toString(StandardCharsets.US_ASCII);
        for (String line : reply.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                int length = Integer.parseInt(line.substring("content-length:".length()).trim());
                reply += new String(in.readNBytes(length), StandardCharsets.US_ASCII);
            }
        }
        return reply;
    }

    /** The server closed the connection: the read ends rather than waiting (5 s at most). */
    static void assertClosed(Socket client) throws IOException {
        client.setSoTimeout(5_000);
        try {
            assertEquals("end of stream", -1, client.getInputStream().read());
        } catch (SocketTimeoutException open) {
            fail("the connection is still open");
        } catch (IOException reset) {
            assertTrue(reset.getMessage(), reset.getMessage().contains("reset"));
        }
    }
}
