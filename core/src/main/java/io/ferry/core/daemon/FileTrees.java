package io.ferry.core.daemon;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;

/**
 * Directory trees of the daemon's own that go whole, among them those a QEMU of an unprivileged user writes into: a
 * VM's run directory holds its QEMU's directory, which that user (the QEMUs of all VMs) may change at any moment.
 * Nothing is reached by a path through the tree: each directory is opened once, without following a link, and its
 * entries are read, opened and deleted relative to it ({@link SecureDirectoryStream}). A directory swapped for a link
 * after it was read is refused at its opening, and a directory renamed aside takes its entries along: the daemon never
 * deletes a file it reached through another user's link (by path names, an unlink of {@code qemu/d/NAME} once
 * {@code d} became a link to {@code /etc} deleted {@code /etc/NAME}, as root).
 */
public final class FileTrees {
    /**
     * The daemon's trees are a few levels deep. A deeper one is a hostile QEMU's, made to cost an open directory and a
     * stack frame a level (by path names, a path's 4096 bytes had bounded it).
     */
    static final int MAX_DEPTH = 64;

    private FileTrees() {
    }

    /**
     * Deletes {@code dir} and everything in it, links themselves and never what they point to ({@code dir} too, if a
     * link). What goes meanwhile by another hand is gone as asked: the run files of a QEMU whose guest migrated away
     * are deleted by its driver once the process has ended, on its own time, while the domain's run directory goes.
     *
     * @throws IOException naming the entry that could not go: one put back, or swapped for a link, while it went
     */
    public static void delete(Path dir) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        Path parent = path.getParent();
        if (parent == null) {
            throw new IOException("refusing to delete " + path + ", the root directory");
        }
        SecureDirectoryStream<Path> in;
        try {
            in = open(parent);
        } catch (NoSuchFileException gone) {
            return;
        }
        try (in) {
            delete(in, path, 0);
        }
    }

    /** Opens {@code dir}, the daemon's own (the parent of the tree), as the directory whose entries are deleted. */
    private static SecureDirectoryStream<Path> open(Path dir) throws IOException {
        DirectoryStream<Path> stream = Files.newDirectoryStream(dir);
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        stream.close();
        throw new IOException("cannot delete in " + dir + ": this platform deletes a directory's entries only by path"
                + " name, which a link put into the tree by another user would lead out of it (Linux is needed)");
    }

    /** Deletes {@code path}, an entry of {@code parent} {@code depth} levels below the top, and what it holds. */
    private static void delete(SecureDirectoryStream<Path> parent, Path path, int depth) throws IOException {
        Path name = path.getFileName(); // relative: an absolute path would be resolved from the root, through links
        try {
            if (!parent.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW_LINKS).readAttributes()
                    .isDirectory()) {
                parent.deleteFile(name);
                return;
            }
            if (depth == MAX_DEPTH) {
                throw new IOException("cannot delete " + path + ": directories nested more than " + MAX_DEPTH
                        + " deep");
            }
            try (SecureDirectoryStream<Path> dir = parent.newDirectoryStream(name, NOFOLLOW_LINKS)) {
                for (Path entry : dir) { // each the entry's whole path, for errors
                    delete(dir, entry, depth + 1);
                }
            } catch (DirectoryIteratorException e) {
                throw e.getCause();
            }
            parent.deleteDirectory(name);
        } catch (NoSuchFileException gone) {
            // gone by another hand between reading it and deleting it: as asked
        } catch (FileSystemException e) { // the JDK names it by the bare name it was given
            String reason = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
            throw new IOException("cannot delete " + path + ": " + reason, e);
        }
    }
}
