package io.ferry.core.control;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A request written to the channel byte for byte, as no well-behaved client would, and its whole reply as it comes. */
final class RawHttp {
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
}
