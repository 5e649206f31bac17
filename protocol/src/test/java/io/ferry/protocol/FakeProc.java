package io.ferry.protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@code /proc} for {@link LoopbackListener}: the kernel's TCP socket tables, as an x86 kernel writes them (each
 * 32-bit word of an address in hex, little-endian), and this process's uid.
 */
final class FakeProc {
    static final String LOOPBACK_V4 = "0100007F";
    static final String LOOPBACK_V6 = "00000000000000000000000001000000";
    /** ::ffff:127.0.0.1: how a JVM's socket bound to 127.0.0.1 is listed (an IPv6 one). */
    static final String MAPPED_LOOPBACK = "0000000000000000FFFF00000100007F";
    static final String ANY_V4 = "00000000";
    static final String ANY_V6 = "00000000000000000000000000000000";
    static final String LISTEN = "0A";
    private static final String V4_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when"
            + " retrnsmt   uid  timeout inode\n";
    private static final String V6_HEADER = "  sl  local_address                         remote_address"
            + "                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    private final Path root;
    private final StringBuilder v4 = new StringBuilder(V4_HEADER);
    private final StringBuilder v6 = new StringBuilder(V6_HEADER);

    /** With empty tables, for a process of {@code uid}. */
    FakeProc(Path root, int uid) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("net"));
        Files.createDirectories(root.resolve("self"));
        Files.writeString(root.resolve("self/status"), "Name:\tjava\nUmask:\t0022\nState:\tR (running)\n"
                + "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\nGid:\t100\t100\t100\t100\n");
        write();
    }

    FakeProc v4(String address, int port, String state, int uid) throws IOException {
        v4.append(line(address, port, "00000000", state, uid));
        return write();
    }

    FakeProc v6(String address, int port, String state, int uid) throws IOException {
        v6.append(line(address, port, ANY_V6, state, uid));
        return write();
    }

    /** Empty tables again. */
    FakeProc clear() throws IOException {
        v4.setLength(V4_HEADER.length());
        v6.setLength(V6_HEADER.length());
        return write();
    }

    void remove(String table) throws IOException {
        Files.delete(root.resolve("net").resolve(table));
    }

    LoopbackListener listener() {
        return new LoopbackListener(root);
    }

    private static String line(String address, int port, String remote, String state, int uid) {
        return String.format("   0: %s:%04X %s:0000 %s 00000000:00000000 00:00000000 00000000 %5d        0 %d 1"
                + " 000000004731b359 100 0 0 10 0\n", address, port, remote, state, uid, 8_706_722 + uid);
    }

    private FakeProc write() throws IOException {
        Files.writeString(root.resolve("net/tcp"), v4);
        Files.writeString(root.resolve("net/tcp6"), v6);
        return this;
    }
}
