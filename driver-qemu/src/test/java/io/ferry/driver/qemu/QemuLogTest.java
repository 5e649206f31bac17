package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A domain's QEMU log is bounded across its starts: past 2 MiB it is moved aside, with at most three older ones. */
public class QemuLogTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static void write(Path file, String mark, long bytes) throws Exception {
        Files.writeString(file, mark + "x".repeat((int) bytes - mark.length()));
    }

    private static String mark(Path file) throws Exception {
        return Files.readString(file).substring(0, 1);
    }

    @Test
    public void aStartRotatesAFullLogBeforeItWritesItsOwn() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("logs/vm.log");
        Files.createDirectories(log.getParent());
        write(log, "a", QemuLog.MAX_BYTES + 1);
        QemuProcess.start(List.of("true"), log).awaitGone(10_000);
        assertEquals("a", mark(QemuLog.backup(log, 1)));
        assertTrue(Files.readString(log), Files.readString(log).contains(": starting true"));
        assertTrue(Files.size(log) < 1000);
    }

    /** A full disk's write errors name no file: the operator must learn which disk is full. */
    @Test
    public void aStartOnAFullDiskFailsNamingTheLog() throws Exception {
        Path log = Files.createSymbolicLink(tmp.getRoot().toPath().resolve("vm.log"), Path.of("/dev/full"));
        HypervisorException e = assertThrows(HypervisorException.class, () -> QemuProcess.start(List.of("true"), log));
        assertEquals("cannot write QEMU's log " + log + ": No space left on device", e.getMessage());
    }

    /**
     * A running QEMU's full log whose copy cannot be written (a full disk, the log's own doing; here a link in the
     * way of NAME.log.1) is emptied all the same: left full, it kept the disk full, and was tried again every second.
     */
    @Test
    public void aRunningQemusFullLogIsEmptiedEvenWhenItsCopyCannotBeWritten() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        write(log, "a", QemuLog.MAX_BYTES + 1);
        Files.createSymbolicLink(QemuLog.backup(log, 1), tmp.getRoot().toPath().resolve("nowhere"));
        IOException e = assertThrows(IOException.class, () -> QemuLog.truncateIfFull(log));
        assertTrue(e.getMessage(), e.getMessage().startsWith("emptied without a copy, as " + QemuLog.backup(log, 1)));
        assertEquals(0, Files.size(log));
    }

    @Test
    public void aLogWithinItsLimitIsLeftAsItIs() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        QemuLog.rotateIfFull(log); // none yet
        write(log, "a", QemuLog.MAX_BYTES);
        QemuLog.rotateIfFull(log);
        assertEquals("a", mark(log));
        assertFalse(Files.exists(QemuLog.backup(log, 1)));

        assertFalse("a running QEMU's log within its limit", QemuLog.truncateIfFull(log));
        assertEquals(QemuLog.MAX_BYTES, Files.size(log));
        assertFalse(Files.exists(QemuLog.backup(log, 1)));
        assertFalse("no log", QemuLog.truncateIfFull(tmp.getRoot().toPath().resolve("none.log")));
    }

    /** A log replaced by a link (to a file of someone else's, say) is not followed: that file is neither copied nor emptied. */
    @Test
    public void aLinkInPlaceOfALogIsNotFollowed() throws Exception {
        Path other = tmp.getRoot().toPath().resolve("other");
        write(other, "o", QemuLog.MAX_BYTES + 1);
        Path log = Files.createSymbolicLink(tmp.getRoot().toPath().resolve("vm.log"), other);
        assertFalse(QemuLog.truncateIfFull(log));
        assertEquals(QemuLog.MAX_BYTES + 1, Files.size(other));
        assertFalse(Files.exists(QemuLog.backup(log, 1), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    public void aFullLogIsMovedAsideAndTheOldestOfThreeBackupsDropped() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        for (String start : new String[] {"a", "b", "c", "d", "e"}) {
            write(log, start, QemuLog.MAX_BYTES + 1);
            QemuLog.rotateIfFull(log);
            assertFalse(start, Files.exists(log));
        }
        assertEquals("e", mark(QemuLog.backup(log, 1)));
        assertEquals("d", mark(QemuLog.backup(log, 2)));
        assertEquals("c", mark(QemuLog.backup(log, 3)));
        assertFalse(Files.exists(QemuLog.backup(log, 4)));
    }

    /**
     * A QEMU killed (SIGKILL, the OOM killer) or whose guest powered off writes nothing: the daemon's line before its
     * start, with the whole command line, is not what it said on its way out.
     */
    @Test
    public void aQemuThatWroteNothingSinceItStartedIsSaidToHaveWrittenNothing() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        QemuProcess.start(List.of("true", "-name", "guest=vm"), log).awaitGone(10_000);
        assertEquals("(it wrote nothing to its log " + log + " since it started)", QemuProcess.lastLine(log));
        Files.writeString(log, "2026-12-02T07:00:00.000001Z qemu-system-x86_64: terminating on signal 15\n",
                StandardOpenOption.APPEND);
        assertEquals("2026-12-02T07:00:00.000001Z qemu-system-x86_64: terminating on signal 15", QemuProcess.lastLine(log));
    }

    /**
     * QEMU's last words are its message line (its name first) and the hints it adds on lines of their own, blank lines
     * between them left out: not what it wrote before the message (its device set-up lines), which says nothing of
     * why it went.
     */
    @Test
    public void theLastWordsAreQemusMessageWithItsHintsAndNothingWrittenBefore() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        QemuProcess.start(List.of("true", "-name", "guest=vm"), log).awaitGone(10_000);
        Files.writeString(log, "char device redirected to /dev/pts/3 (label serial0)\nVNC server running on 127.0.0.1:5900\n"
                + "qemu-system-x86_64: -machine q99: unsupported machine type\n\n \n\n"
                + "Use -machine help to list supported machines\n", StandardOpenOption.APPEND);
        assertEquals("qemu-system-x86_64: -machine q99: unsupported machine type Use -machine help to list supported machines",
                QemuProcess.lastLine(log));
    }

    @Test
    public void theLastLineQuotedInErrorsCarriesNoControlCharacters() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        Files.writeString(log, "qemu-system-x86_64: failed\r2026-12-02 07:00:00 INFO forged\u001b[2J\u0007\n");
        String line = QemuProcess.lastLine(log);
        assertTrue("control characters in: " + line, line.chars().noneMatch(Character::isISOControl));
        assertTrue(line, line.startsWith("qemu-system-x86_64: failed"));
    }
}
