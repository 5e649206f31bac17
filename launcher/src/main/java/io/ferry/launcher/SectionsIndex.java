package io.ferry.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What {@code ferry sections} says offline, kept from the last time a private framework of this installation was
 * asked, for as long as the installation holds the same files: the sections come from the bundles in
 * {@code bundle/} and {@code deploy/} and the settings in {@code etc/}, so a listing made from those exact files
 * (names, sizes, modification times) is the listing the framework would give again, without the second it takes
 * to start one. Any change to them and the framework is asked anew. Kept in {@code lib/sections.index} of the
 * installation (the distribution's build writes it, by running {@code ferry sections} once), or, where that cannot
 * be written, in the user's {@code ~/.cache/ferry/}.
 */
public final class SectionsIndex {
    static final String FILE = "sections.index";

    /** Asks a framework of the installation; what {@code GET /v1/sections} replies. */
    @FunctionalInterface
    public interface Framework {
        String sections() throws Exception;
    }

    private SectionsIndex() {
    }

    /** The sections' reply for this installation: the kept one if its files are the same, else the framework's. */
    public static String sections(FerryHome home, Framework framework) throws Exception {
        String fingerprint = fingerprint(home);
        for (Path kept : places(home)) {
            String reply = read(kept, fingerprint);
            if (reply != null) {
                return reply;
            }
        }
        String reply = framework.sections();
        for (Path place : places(home)) {
            if (write(place, fingerprint, reply)) {
                break;
            }
        }
        return reply;
    }

    private static List<Path> places(FerryHome home) {
        List<Path> places = new ArrayList<>(List.of(home.root().resolve("lib").resolve(FILE)));
        String user = System.getProperty("user.home");
        if (user != null && !user.isEmpty()) {
            String name = "sections-" + hex(home.root().toAbsolutePath().normalize().toString()).substring(0, 16) + ".index";
            places.add(Path.of(user, ".cache", "ferry", name));
        }
        return places;
    }

    /** The reply kept in {@code file}, if it was made from files with this fingerprint. */
    private static String read(Path file, String fingerprint) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int newline = text.indexOf('\n');
            return newline > 0 && text.substring(0, newline).equals(fingerprint) ? text.substring(newline + 1) : null;
        } catch (IOException e) {
            return null; // none kept, or not readable: the framework answers
        }
    }

    private static boolean write(Path file, String fingerprint, String reply) {
        try {
            Files.createDirectories(file.getParent());
            Path temp = Files.createTempFile(file.getParent(), "." + FILE, ".tmp");
            try {
                Files.writeString(temp, fingerprint + "\n" + reply, StandardCharsets.UTF_8);
                try {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--")); // every user's ferry reads it
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: its default
                }
                try {
                    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
            return true;
        } catch (IOException e) {
            return false; // a read-only installation: the next place
        }
    }

    /** The SHA-256 of each bundle's and setting's name, size and modification time. */
    static String fingerprint(FerryHome home) throws IOException {
        StringBuilder files = new StringBuilder();
        for (Path dir : List.of(home.bundles(), home.deploy(), home.etc())) {
            List<Path> entries = new ArrayList<>();
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
                    list.forEach(entries::add);
                }
            }
            entries.sort(null);
            for (Path entry : entries) {
                if (Files.isRegularFile(entry)) {
                    files.append(home.root().relativize(entry)).append(' ').append(Files.size(entry)).append(' ')
                            .append(Files.getLastModifiedTime(entry).toMillis()).append('\n');
                }
            }
        }
        return "sha256:" + hex(files.toString());
    }

    private static String hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
