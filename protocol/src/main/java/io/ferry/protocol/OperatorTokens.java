package io.ferry.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who may drive a daemon over plain TCP on loopback: whoever can read its operator token. A daemon writes a fresh
 * random token, readable by its own user only, to {@code ~/.ferry/tokens/ADDRESS_PORT} when it starts; the {@code
 * ferry} command and the daemons of the same user (a peer-to-peer source calling its destination on this host)
 * present it in the {@value #HEADER} header. So, as with libvirt's root-only socket, another local user reaching the
 * port drives nothing; nor, holding the port while the daemon is down, is it given the token
 * ({@link LoopbackListener}). The directory: the system property {@code ferry.token.dir}, else the environment's {@code
 * FERRY_TOKEN_DIR}, else {@code .ferry/tokens} in the user's home.
 */
public final class OperatorTokens {
    /** The request header that carries the token. */
    public static final String HEADER = "Ferry-Operator-Token";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private OperatorTokens() {
    }

    /** A fresh token: 256 random bits, in hex. */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Publishes {@code token} for the daemon listening at {@code address}, for its user's eyes only; returns the file. */
    public static Path publish(InetSocketAddress address, String token) throws IOException {
        Path directory = directory();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            Files.setPosixFilePermissions(directory, OWNER_ONLY_DIR); // made before by a looser umask: close it
        } else {
            Files.createDirectories(directory);
        }
        Path file = file(directory, address.getAddress(), address.getPort());
        Path temp = posix ? Files.createTempFile(directory, ".token", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE))
                : Files.createTempFile(directory, ".token", ".tmp");
        try {
            Files.writeString(temp, token + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return file;
    }

    /** Removes the token file of a daemon that stops, if it is still this token's (a successor may have replaced it). */
    public static void withdraw(Path file, String token) {
        try {
            if (Files.readString(file, StandardCharsets.US_ASCII).trim().equals(token)) {
                Files.delete(file);
            }
        } catch (IOException e) {
            // gone already, or never readable: nothing to withdraw
        }
    }

    /**
     * Where the token of the daemon at {@code host:port} would be: for the host's first address, the one a connection
     * goes to. Not for its others: who listens at the first may not be the daemon at another ({@code localhost}, a
     * daemon on ::1, another user on 127.0.0.1), and would be given its token.
     */
    public static List<Path> files(String host, int port) {
        try {
            return List.of(file(directory(), InetAddress.getByName(host), port));
        } catch (UnknownHostException | SecurityException e) {
            return List.of(); // the connection fails and says why
        }
    }

    /**
     * The token in the first of {@code files} that is this user's own, as a daemon of this user writes it: what a client
     * presents. Not a link, nor another user's file: in a shared directory another user could plant either (a link to
     * one of this user's secrets, say) and listen on the port for what is sent.
     */
    public static Optional<String> read(List<Path> files) {
        for (Path file : files) {
            if (!isOwn(file)) {
                continue;
            }
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
            } catch (IOException e) {
                // not there, or not this user's: the next address, or none to present (the daemon says what it wants)
            }
        }
        return Optional.empty();
    }

    private static boolean isOwn(Path file) {
        try {
            OwnFiles.requireOwn(file);
            return true;
        } catch (IOException e) {
            return false; // not there, or not to be trusted
        }
    }

    private static Path file(Path directory, InetAddress address, int port) {
        return directory.resolve(address.getHostAddress().replace(':', '-').replace('%', '-') + "_" + port);
    }

    private static Path directory() {
        String configured = System.getProperty("ferry.token.dir", System.getenv("FERRY_TOKEN_DIR"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".ferry", "tokens");
    }
}
