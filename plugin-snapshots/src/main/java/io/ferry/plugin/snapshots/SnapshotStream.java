package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The side stream of the {@code snapshots} section: an int count, then per snapshot a flag byte (1 for the
 * current snapshot, else 0), an int length and that many bytes of UTF-8 {@code <domainsnapshot>} XML. The
 * descriptor's digest is {@code sha256:} and the hex SHA-256 of all of the stream's bytes.
 */
final class SnapshotStream {
    /** The bytes before the first snapshot: the count. */
    static final int HEADER = 4;
    /** The bytes before each snapshot's text: its flag and its length. */
    static final int FRAMING = 5;
    /** At most this many snapshots in one migration. */
    static final int MAX_COUNT = 1_000_000;
    /** At most this many bytes of XML per snapshot: the cookie size cap. */
    static final int MAX_LENGTH = 4 * 1024 * 1024;

    /** What the stream carried: the XML of each snapshot in stream order, and the index of the current one (-1: none). */
    record Contents(List<String> xmls, int current) {
    }

    private SnapshotStream() {
    }

    /** Writes {@code snapshots}, flagging {@code current}. */
    static void write(OutputStream out, List<Snapshot> snapshots, String current) throws IOException {
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 64 * 1024));
        data.writeInt(snapshots.size());
        for (Snapshot snapshot : snapshots) {
            byte[] xml = snapshot.xml().getBytes(StandardCharsets.UTF_8);
            data.writeByte(snapshot.name().equals(current) ? 1 : 0);
            data.writeInt(xml.length);
            data.write(xml);
        }
        data.flush();
    }

    /** What {@link #write} writes, seen without keeping it: the descriptor's digest, and its length in bytes. */
    record Written(String digest, long length) {
    }

    /** The {@link Written} of {@code snapshots}, flagging {@code current}: one pass through their bytes. */
    static Written measure(List<Snapshot> snapshots, String current) throws IOException {
        MessageDigest sha = sha256();
        Counting counted = new Counting();
        try (DigestOutputStream out = new DigestOutputStream(counted, sha)) {
            write(out, snapshots, current);
        }
        return new Written("sha256:" + HexFormat.of().formatHex(sha.digest()), counted.length);
    }

    /**
     * Reads a whole stream, within bounds, and checks it against the cookie's descriptor.
     *
     * @param share the daemon's budget for incoming streams: the count announced checked against it, and each
     *     snapshot's share taken as it arrives (all held until staged)
     * @throws CookieException when the stream is out of bounds or over the budget, truncated, too long, or does not match
     */
    static Contents read(InputStream in, SnapshotDescriptor expected, IncomingBudget.Share share) throws IOException, CookieException {
        MessageDigest sha = sha256();
        DataInputStream data = new DataInputStream(new DigestInputStream(new BufferedInputStream(in, 64 * 1024), sha));
        try {
            int count = data.readInt();
            if (count < 0 || count > MAX_COUNT) {
                throw new CookieException("snapshots stream announces " + count + " snapshots (limit " + MAX_COUNT + ")");
            }
            if (count != expected.count()) {
                throw new CookieException("snapshots stream carries " + count + " snapshots but the migration cookie's"
                        + " descriptor says " + expected.count());
            }
            share.allow(count);
            // grown as snapshots come (each one's share covers its slot): nothing held for those not sent
            List<String> xmls = new ArrayList<>(Math.min(count, 1_024));
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            int current = -1;
            for (int i = 0; i < count; i++) {
                int flag = data.readUnsignedByte();
                int length = data.readInt();
                if (flag > 1 || length < 0 || length > MAX_LENGTH) {
                    throw new CookieException("snapshots stream: snapshot " + (i + 1) + " is malformed (flag " + flag
                            + ", length " + length + ", limit " + MAX_LENGTH + ")");
                }
                share.takeSnapshot(length);
                if (flag == 1) {
                    if (current >= 0) {
                        throw new CookieException("snapshots stream flags more than one current snapshot");
                    }
                    current = i;
                }
                byte[] xml = new byte[length];
                data.readFully(xml);
                xmls.add(utf8(utf8, xml, i));
            }
            if (data.read() != -1) {
                throw new CookieException("snapshots stream carries data after its " + count + " snapshots");
            }
            String digest = "sha256:" + HexFormat.of().formatHex(sha.digest());
            if (!digest.equals(expected.digest())) {
                throw new CookieException("snapshots stream digest " + digest + " does not match the migration cookie's "
                        + expected.digest());
            }
            return new Contents(xmls, current);
        } catch (EOFException e) {
            throw new CookieException("snapshots stream ended early: expected " + expected.count() + " snapshots");
        }
    }

    /**
     * The text of snapshot {@code i}: invalid UTF-8 is refused, as Ferry's XML reader refuses it, not replaced with U+FFFD
     * (the digest is of the bytes sent, so a replacement would stage other text than they say).
     */
    private static String utf8(CharsetDecoder decoder, byte[] xml, int i) throws CookieException {
        String text = new String(xml, StandardCharsets.UTF_8); // the JDK's fast path, for what is almost always valid
        if (text.indexOf('\uFFFD') < 0) {
            return text; // nothing was replaced
        }
        ByteBuffer bytes = ByteBuffer.wrap(xml);
        try {
            return decoder.decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new CookieException(String.format("snapshots stream: snapshot %d is not UTF-8: its byte %d is 0x%02X, which"
                    + " is not UTF-8 there", i + 1, bytes.position() + 1, xml[bytes.position()] & 0xFF), e);
        }
    }

    /** Counts what is written to it, and keeps none of it. */
    private static final class Counting extends OutputStream {
        long length;

        @Override
        public void write(int b) {
            length++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            length += len;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
