package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The snapshots a migration brought, in one file ({@code migrated-ID.pack}). Version 2: an int marker, the count,
 * then per snapshot its name and its parent's ({@link DataOutputStream#writeUTF}, "" for none), an int length and
 * the UTF-8 XML, and last the CRC32C of all before it, so that reading a pack parses no XML: the store parsed each
 * snapshot when it staged the pack, and a pack that is not as the store wrote it (damaged) is refused by its CRC.
 * Version 1 (written before) had the count, then length and XML only: its names come from parsing each snapshot.
 */
final class SnapshotPack {
    /** Negative: a version 1 pack starts with its count. */
    private static final int VERSION_2 = 0xFE5A0002;

    /** Reads a version 1 pack's snapshot: its name and parent from the XML. */
    interface Parser {
        Snapshot parse(String xml, String where) throws IOException;
    }

    private SnapshotPack() {
    }

    static byte[] write(List<Snapshot> snapshots) throws IOException {
        int estimate = 8;
        for (Snapshot snapshot : snapshots) {
            estimate += snapshot.xml().length() + 2 * 64 + 8; // sized once: 5 MiB grown from 32 bytes is 18 copies
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(estimate);
        CRC32C crc = new CRC32C();
        DataOutputStream out = new DataOutputStream(new CheckedOutputStream(bytes, crc));
        out.writeInt(VERSION_2);
        out.writeInt(snapshots.size());
        for (Snapshot snapshot : snapshots) {
            byte[] xml = snapshot.xml().getBytes(StandardCharsets.UTF_8);
            out.writeUTF(snapshot.name());
            out.writeUTF(snapshot.parent() == null ? "" : snapshot.parent());
            out.writeInt(xml.length);
            out.write(xml);
        }
        out.flush();
        new DataOutputStream(bytes).writeInt((int) crc.getValue()); // the CRC of all before it, not of itself
        return bytes.toByteArray();
    }

    static List<Snapshot> read(byte[] pack, Path file, Parser version1) throws IOException {
        return records(pack, file, version1, true);
    }

    /**
     * The names in a pack, in its order: a version 2 pack's from its records, its XML skipped (checked by its CRC
     * all the same, not decoded); a version 1 pack's from parsing each snapshot.
     */
    static List<String> names(byte[] pack, Path file, Parser version1) throws IOException {
        return records(pack, file, version1, false).stream().map(Snapshot::name).toList();
    }

    /** With {@code withXml} false, a version 2 pack's snapshots come without their XML (null). */
    private static List<Snapshot> records(byte[] pack, Path file, Parser version1, boolean withXml) throws IOException {
        List<Snapshot> snapshots = new ArrayList<>();
        boolean named = pack.length >= 4 && ByteBuffer.wrap(pack).getInt() == VERSION_2;
        if (named && !soundCrc(pack)) {
            throw new IOException(file + " is truncated or damaged: its CRC does not match");
        }
        PackInput bytes = new PackInput(pack, named ? pack.length - 4 : pack.length);
        try (DataInputStream in = new DataInputStream(bytes)) {
            int first = in.readInt();
            int count = named ? in.readInt() : first;
            if (count < 0) {
                throw new IOException(file + " is damaged: " + count + " snapshots");
            }
            for (int i = 0; i < count; i++) {
                String name = named ? in.readUTF() : null;
                String parent = named ? in.readUTF() : null;
                int length = in.readInt();
                if (length < 0 || length > pack.length) {
                    throw new IOException(file + " is damaged: a snapshot of " + length + " bytes");
                }
                String text = bytes.utf8(length, !named || withXml);
                snapshots.add(named ? new Snapshot(name, parent.isEmpty() ? null : parent, text) : version1.parse(text, file.toString()));
            }
        } catch (EOFException e) {
            throw new IOException(file + " is truncated", e);
        } catch (UTFDataFormatException e) {
            throw new IOException(file + " is damaged: a name is not modified UTF-8", e);
        }
        return snapshots;
    }

    /** The pack's bytes in order: the XML is decoded straight from the array (a copy of each cost listing a third of its time). */
    private static final class PackInput extends ByteArrayInputStream {
        PackInput(byte[] pack, int length) {
            super(pack, 0, length);
        }

        /** The next {@code length} bytes as UTF-8 text, or skipped (null) unless {@code decode}. */
        String utf8(int length, boolean decode) throws EOFException {
            if (length > count - pos) {
                throw new EOFException();
            }
            String text = decode ? new String(buf, pos, length, StandardCharsets.UTF_8) : null;
            pos += length;
            return text;
        }
    }

    private static boolean soundCrc(byte[] pack) {
        if (pack.length < 12) {
            return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(pack, 0, pack.length - 4);
        return ByteBuffer.wrap(pack, pack.length - 4, 4).getInt() == (int) crc.getValue();
    }
}
