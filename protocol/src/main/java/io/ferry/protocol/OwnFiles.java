package io.ferry.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one check of files this user's programs trust: a regular file (not a link, which another user could plant to
 * one of this user's files, nor a FIFO that would block a read) of this user's own. A file holding a secret must
 * moreover be closed to its group and to others. On a file system without POSIX permissions, only the link and the
 * file type are checked.
 */
public final class OwnFiles {
    /** Longer than any password or token: what a secret file may hold. */
    private static final int MAX_SECRET_BYTES = 64 * 1024;
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private OwnFiles() {
    }

    /** @throws IOException naming {@code file} and what is wrong with it: missing, a link, not a regular file, another user's */
    public static void requireOwn(Path file) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist");
        }
        if (attributes.isSymbolicLink()) {
            throw new IOException(file + " is a symbolic link: name the file itself");
        }
        if (!attributes.isRegularFile()) {
            throw new IOException(file + " is not a regular file");
        }
        if (!posix()) {
            return;
        }
        UserPrincipal me;
        try {
            me = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
        } catch (UserPrincipalNotFoundException e) {
            return; // a user without a name here: the link and the file type are checked
        }
        UserPrincipal owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS);
        if (!owner.equals(me)) {
            throw new IOException(file + " belongs to " + owner.getName() + ", not to " + me.getName() + ", the user reading it");
        }
    }

    /**
     * The first line of a file holding a secret (a password), once {@link #requireOwn} and closed to its group and others.
     *
     * @throws IOException naming {@code file} and what is wrong with it (an empty first line among them)
     */
    public static String readSecret(Path file) throws IOException {
        requireOwn(file);
        if (posix()) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (permissions.stream().anyMatch(SHARED::contains)) {
                throw new IOException(file + " holds a secret but is open to its group or others ("
                        + PosixFilePermissions.toString(permissions) + "): chmod 600 " + file);
            }
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_SECRET_BYTES + 1);
        }
        if (bytes.length > MAX_SECRET_BYTES) {
            throw new IOException(file + " holds more than " + MAX_SECRET_BYTES + " bytes: not a secret's file");
        }
        String line = new String(bytes, StandardCharsets.UTF_8).lines().findFirst().orElse("");
        if (line.isBlank()) {
            throw new IOException(file + " is empty: its first line must hold the secret");
        }
        return line;
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
