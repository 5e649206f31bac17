package io.ferry.protocol;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Who holds a loopback port, asked before a plain-TCP client sends anything there. Nothing on plain TCP tells the
 * client that the daemon is the one it means: while ferryd is down (before it starts, between a crash and its
 * restart) any local user may listen on its unprivileged port, be given the operator token and the call, and be
 * believed (a client-managed migration would take its Begin's definition to the destination under the operator's
 * credentials). So the listener must be held by the client's user, whose ferryd publishes the token the client
 * presents, or by root (whose ferryd refuses another user's calls, and says why).
 *
 * <p>On Linux, from the kernel's socket tables ({@code /proc/net/tcp} and {@code tcp6}): when they cannot be read,
 * the call is refused. Elsewhere (a developer's macOS; ferryd's hosts run Linux) nothing is checked. With nothing
 * listening the connection goes ahead (refused, or forwarded by the kernel). Not seen: a squatter that binds between
 * this look and
 * the connection, or the JDK's resend of a call on a new connection when its kept-alive one broke (each within a
 * millisecond or so of ferryd's end). Nor can anything here keep a squatter from holding the port so that ferryd
 * cannot start: only a privileged port or a unix socket would.
 */
final class LoopbackListener {
    /** This host's tables, read at each call (a daemon may have restarted since the last). */
    static final LoopbackListener SYSTEM = new LoopbackListener(
            System.getProperty("os.name", "").startsWith("Linux") ? Path.of("/proc") : null);
    private static final String LISTEN = "0A";
    private static final int ROOT = 0;

    /** null: nothing is checked. */
    private final Path proc;

    /** @param proc where the kernel's {@code net/tcp}, {@code net/tcp6} and {@code self/status} are */
    LoopbackListener(Path proc) {
        this.proc = proc;
    }

    /**
     * Whether the client may talk to {@code address:port}: off loopback, it may (TLS there, or plain TCP the operator
     * chose to leave open); on loopback, when the port's listener is held by this user or root.
     *
     * Nothing listening there lets the connection go ahead, to meet what it meets: refused, or a port the kernel
     * forwards elsewhere (a container's published port, an iptables redirect), which no local socket shows.
     *
     * @param token whether the client would present its user's operator token
     * @throws ChannelException another user holds the port, or who holds it cannot be told
     */
    void check(InetAddress address, int port, boolean token) throws ChannelException {
        if (proc == null || !address.isLoopbackAddress()) {
            return;
        }
        // IPv6 has one loopback address
        String where = (address instanceof Inet6Address ? "[::1]" : address.getHostAddress()) + ":" + port;
        List<Listener> listeners;
        int me;
        try {
            listeners = receiving(address, listeners(port));
            me = effectiveUid();
        } catch (IOException e) {
            throw new ChannelException("refusing to talk to " + where + ": cannot tell who holds the port ("
                    + e.getMessage() + "); another local user may be posing as ferryd there", true, e);
        }
        String user = System.getProperty("user.name") + ", uid " + me;
        for (Listener listener : listeners) {
            if (listener.uid() != me && listener.uid() != ROOT) {
                String expected = token ? "the user (" + user + ") whose ferryd published its operator token there"
                        : "this user (" + user + ") or root";
                throw new ChannelException("refusing to talk to " + where + ": the port is held by uid "
                        + listener.uid() + ", not by " + expected + ": if ferryd runs as uid " + listener.uid()
                        + ", run ferry as that user; otherwise another local user may be posing as ferryd",
                        true);
            }
        }
    }

    /**
     * The listeners a connection to {@code address} would reach, as the kernel picks: the ones bound to the address
     * itself, else the wildcard ones ({@code ::} takes IPv4 too, unless it is IPv6-only, which the tables do not say).
     */
    private static List<Listener> receiving(InetAddress address, List<Listener> listeners) {
        List<Listener> bound = listeners.stream().filter(l -> l.address().equals(address)).toList();
        if (!bound.isEmpty()) {
            return bound;
        }
        return listeners.stream().filter(l -> l.address().isAnyLocalAddress()
                && (l.address() instanceof Inet6Address || !(address instanceof Inet6Address))).toList();
    }

    /** The sockets listening on {@code port}; a kernel without IPv6 has no {@code tcp6}. */
    private List<Listener> listeners(int port) throws IOException {
        List<Listener> listeners = new ArrayList<>();
        read(proc.resolve("net/tcp"), port, listeners);
        try {
            read(proc.resolve("net/tcp6"), port, listeners);
        } catch (NoSuchFileException e) {
            // IPv6 disabled
        }
        return listeners;
    }

    /** A table's lines: {@code sl local_address rem_address st ... uid ...}, the address {@code HEX:PORT}. */
    private static void read(Path table, int port, List<Listener> into) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(table, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(table + " does not exist");
        } catch (IOException e) {
            throw new IOException(table + " cannot be read: " + e, e);
        }
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] fields = line.trim().split("\\s+");
            int colon = fields.length > 7 ? fields[1].indexOf(':') : -1;
            if (colon < 0 || !fields[3].equals(LISTEN)) {
                continue;
            }
            try {
                if (Integer.parseInt(fields[1].substring(colon + 1), 16) == port) {
                    into.add(new Listener(address(fields[1].substring(0, colon)), Integer.parseInt(fields[7])));
                }
            } catch (IllegalArgumentException | UnknownHostException e) {
                throw new IOException(table + " has a line not understood: " + line.trim(), e);
            }
        }
    }

    /**
     * An address as the tables write it: each 32-bit word in hex, the number the kernel's memory holds in the host's
     * byte order. An IPv4-mapped one (a JVM's socket bound to 127.0.0.1 is an IPv6 one) comes back as the IPv4 address.
     */
    private static InetAddress address(String hex) throws UnknownHostException {
        ByteBuffer words = ByteBuffer.wrap(HexFormat.of().parseHex(hex));
        ByteBuffer memory = ByteBuffer.allocate(words.capacity()).order(ByteOrder.nativeOrder());
        while (words.remaining() >= Integer.BYTES) {
            memory.putInt(words.getInt());
        }
        return InetAddress.getByAddress(memory.array());
    }

    /** This process's effective uid, the user whose own token files the client reads ({@link OperatorTokens#read}). */
    private int effectiveUid() throws IOException {
        Path status = proc.resolve("self/status");
        for (String line : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
            String[] uids = line.startsWith("Uid:") ? line.substring(4).trim().split("\\s+") : new String[0];
            if (uids.length > 1 && uids[1].matches("\\d+")) {
                return Integer.parseInt(uids[1]);
            }
        }
        throw new IOException(status + " names no Uid");
    }

    private record Listener(InetAddress address, int uid) {
    }
}
