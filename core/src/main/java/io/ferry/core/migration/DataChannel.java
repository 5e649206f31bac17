package io.ferry.core.migration;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The direct data connection of a migration ({@code tcp:HOST:PORT}, libvirt's uri_out): the destination
 * listens for one connection, and the source proves with the token from Prepare that it is the source.
 */
final class DataChannel {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TOKEN_BYTES = 32;

    private DataChannel() {
    }

    static String newToken() {
        byte[] token = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(token);
        return HexFormat.of().formatHex(token);
    }

    static ServerSocket listen(InetAddress host) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(host, 0), 1);
        return server;
    }

    static String uri(ServerSocket server) {
        return "tcp:" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /** Reads and checks the token a connection starts with. */
    static void expectToken(InputStream in, String token) throws IOException {
        byte[] received = new byte[TOKEN_BYTES * 2];
        new DataInputStream(in).readFully(received);
        if (!MessageDigest.isEqual(received, token.getBytes(StandardCharsets.US_ASCII))) {
            throw new IOException("the data connection presented a wrong token");
        }
    }

    static void sendToken(OutputStream out, String token) throws IOException {
        out.write(token.getBytes(StandardCharsets.US_ASCII));
    }

    /** Connects to {@code tcp:HOST:PORT}. */
    static Socket connect(String uri) throws IOException {
        if (uri == null || !uri.startsWith("tcp:")) {
            throw new IOException("unsupported migration URI '" + uri + "'");
        }
        String address = uri.substring(4);
        int colon = address.lastIndexOf(':');
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))), 10_000);
        return socket;
    }
}
