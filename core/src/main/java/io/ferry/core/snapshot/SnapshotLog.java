package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The snapshots made on this host, as an append-only log ({@code snapshots/UUID/local.log}): a snapshot-create-as
 * is one append of two records (the snapshot, then the current mark) and one {@code fdatasync}, where a file per
 * snapshot and a file for the mark took two atomic writes, four syncs. Each record is a type byte ({@code S}
 * snapshot, {@code C} current), an int length, that many bytes, and their CRC32C; a snapshot's bytes are its name
 * and its parent's (each a short length and UTF-8, "" for none) and its UTF-8 XML, so listing needs no XML parse. A crash
 * or a full disk during an append leaves a torn append: reading leaves it out (a snapshot counts only with the mark
 * appended with it, so a snapshot-create-as that failed left none), and the next append cuts it off first. A record
 * damaged with sound ones after it is no torn append: the log is refused, naming where, and nothing is cut off.
 */
final class SnapshotLog {
    static final String FILE = "local.log";
    private static final byte SNAPSHOT = 'S';
    private static final byte CURRENT = 'C';
    /** Type, length, CRC. */
    private static final int FRAMING = 1 + 4 + 4;

    /** What a log holds: its snapshots in order, the last current mark (null: none), and how many bytes are sound. */
    record Contents(List<Snapshot> snapshots, String current, long soundBytes) {
    }

    private SnapshotLog() {
    }

    /**
     * What the log holds up to its first record that is not sound. A snapshot counts with the current mark appended
     * with it (they are one append): without it (torn, or a failed write), it and what follows are left out.
     */
    static Contents read(Path file) throws IOException {
        List<Snapshot> snapshots = new ArrayList<>();
        String current = null;
        if (!Files.exists(file)) {
            return new Contents(snapshots, null, 0);
        }
        ByteBuffer log = ByteBuffer.wrap(Files.readAllBytes(file));
        CRC32C crc = new CRC32C();
        Snapshot pending = null; // a snapshot whose current mark is yet to come
        int sound = 0;
        int unsound = -1; // where the first record that is not sound starts, if one does
        while (log.remaining() >= FRAMING) {
            int start = log.position();
            unsound = start;
            byte type = log.get();
            int length = log.getInt();
            if (length < 0 || length > log.remaining() - 4 || (type != SNAPSHOT && type != CURRENT)
                    || (type == SNAPSHOT && pending != null)) {
                break;
            }
            crc.reset();
            crc.update(log.array(), log.position(), length);
            if (log.getInt(log.position() + length) != (int) crc.getValue()) {
                break;
            }
            ByteBuffer record = log.slice(log.position(), length);
            log.position(log.position() + length + 4);
            unsound = -1;
            String name = utf(record, file);
            if (type == CURRENT) {
                if (pending != null) {
                    snapshots.add(pending);
                    pending = null;
                }
                current = name;
                sound = log.position();
            } else {
                String parent = utf(record, file);
                // straight from the bytes: Charset.decode's general decoder took a third of a 10,000-snapshot Begin
                String xml = new String(record.array(), record.arrayOffset() + record.position(), record.remaining(), StandardCharsets.UTF_8);
                pending = new Snapshot(name, parent.isEmpty() ? null : parent, xml);
            }
        }
        if (unsound >= 0 && soundRecordAfter(log.array(), unsound)) {
            throw new IOException(file + " is damaged at byte " + unsound + ": sound records follow, so it is no torn append;"
                    + " nothing of it was cut off (move it aside or repair it, then restart the daemon)");
        }
        return new Contents(snapshots, current, sound);
    }

    /**
     * Whether a whole record with its CRC right starts after {@code bad}. A torn append (a crash or a full disk during
     * the last append) leaves a cut record, or garbage, at the end of the log and nothing sound after it; damage in the
     * middle (a bad block, a stray write) leaves the appends after it whole. Those must not be cut off by the next
     * append nor left out of the listing without a word.
     */
    private static boolean soundRecordAfter(byte[] log, int bad) {
        CRC32C crc = new CRC32C();
        for (int start = bad + 1; start + FRAMING <= log.length; start++) {
            if (log[start] != SNAPSHOT && log[start] != CURRENT) {
                continue;
            }
            int length = ByteBuffer.wrap(log, start + 1, 4).getInt();
            if (length < 0 || length > log.length - start - FRAMING) {
                continue;
            }
            crc.reset();
            crc.update(log, start + 5, length);
            if (ByteBuffer.wrap(log, start + 5 + length, 4).getInt() == (int) crc.getValue()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Appends {@code snapshot} (none if null) and the current mark {@code current} in one write and one sync, after
     * cutting off what is not sound ({@code soundBytes}: a torn last record). A new log's name is synced with {@code sync}.
     */
    static void append(Path file, long soundBytes, Snapshot snapshot, String current, SnapshotFiles.Sync sync)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        if (snapshot != null) {
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            DataOutputStream fields = new DataOutputStream(payload);
            text(fields, snapshot.name());
            text(fields, snapshot.parent() == null ? "" : snapshot.parent());
            fields.write(snapshot.xml().getBytes(StandardCharsets.UTF_8));
            record(out, SNAPSHOT, payload.toByteArray());
        }
        ByteArrayOutputStream mark = new ByteArrayOutputStream();
        text(new DataOutputStream(mark), current);
        record(out, CURRENT, mark.toByteArray());
        boolean created = !Files.exists(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (channel.size() > soundBytes) {
                channel.truncate(soundBytes);
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
            try {
                for (long position = soundBytes; buffer.hasRemaining();) {
                    position += channel.write(buffer, position);
                }
                channel.force(false);
            } catch (IOException e) {
                cutOff(channel, soundBytes); // what was written of it (a full disk) is gone, not left for reading to skip
                throw e;
            }
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + io.ferry.core.daemon.AtomicFiles.reason(e), e);
        }
        if (created) {
            sync.force(file.getParent()); // the new file's name, once
        }
    }

    private static void cutOff(FileChannel channel, long soundBytes) {
        try {
            channel.truncate(soundBytes);
        } catch (IOException e) {
            // reading leaves the torn append out all the same, and the next append cuts it off
        }
    }

    /** The bytes {@link #append} adds for a snapshot and its current mark. */
    private static void record(DataOutputStream out, byte type, byte[] payload) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        out.writeByte(type);
        out.writeInt(payload.length);
        out.write(payload);
        out.writeInt((int) crc.getValue());
    }

    /** A name: a short length and its UTF-8 bytes. */
    private static void text(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static String utf(ByteBuffer record, Path file) throws IOException {
        int length = record.remaining() < 2 ? -1 : Short.toUnsignedInt(record.getShort());
        if (length < 0 || length > record.remaining()) {
            throw new IOException(file + " is damaged: a record's name runs past its end");
        }
        byte[] bytes = new byte[length];
        record.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
