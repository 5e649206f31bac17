package io.ferry.driver.sim;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * The memory stream, big-endian ({@link DataOutputStream}):
 *
 * <pre>
 * header  "FERRYMEM" u32 version=2, u32 page size, u64 page count, u64+u64 domain UUID
 * ROUND   0x02 u32 round (1, 2, …: the frames that follow belong to it)
 * PAGES   0x01 u64 first page, u32 count (1 to 64), count × page-size bytes: consecutive pages
 * ZEROS   0x04 u64 first page, u32 count (1 to the pages left): consecutive pages that are all zero, no bytes
 * DONE    0x03 modified-UTF-8 digest of the whole memory ({@code crc32c:…/pages}); the last frame
 * </pre>
 *
 * Version 1 had a frame per page ({@code 0x01 u64 index, page}) and no ZEROS: an idle guest cost its whole size.
 */
final class MemoryStreamFormat {
    static final byte[] MAGIC = "FERRYMEM".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 2;
    static final int PAGES = 0x01;
    static final int ROUND = 0x02;
    static final int DONE = 0x03;
    static final int ZEROS = 0x04;
    static final int HEADER_BYTES = MAGIC.length + 4 + 4 + 8 + 16;
    static final int ROUND_FRAME_BYTES = 1 + 4;
    /** The head of a PAGES or ZEROS frame: type, first page, count. */
    static final int RUN_HEAD_BYTES = 1 + 8 + 4;
    /** Pages in one PAGES frame at most: what the receiver buffers. */
    static final int MAX_RUN_PAGES = 64;
    static final int MAX_DIGEST_CHARS = 64;

    record Header(int pageSize, long pageCount, UUID uuid) {
    }

    private MemoryStreamFormat() {
    }

    static void writeHeader(DataOutputStream out, Header header) throws IOException {
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(header.pageSize());
        out.writeLong(header.pageCount());
        out.writeLong(header.uuid().getMostSignificantBits());
        out.writeLong(header.uuid().getLeastSignificantBits());
    }

    /** Reads and checks the header against what the destination expects. */
    static Header readHeader(DataInputStream in, long expectedPages, UUID expectedUuid)
            throws IOException, HypervisorException {
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new HypervisorException("not a Ferry memory stream");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new HypervisorException("unsupported Ferry memory stream version " + Integer.toUnsignedString(version)
                    + " (this host speaks " + VERSION + ")");
        }
        int pageSize = in.readInt();
        if (pageSize != GuestMemory.PAGE_SIZE) {
            throw new HypervisorException("unsupported page size " + Integer.toUnsignedString(pageSize)
                    + " in the memory stream (expected " + GuestMemory.PAGE_SIZE + ")");
        }
        long pageCount = in.readLong();
        if (pageCount != expectedPages) {
            throw new HypervisorException("memory size mismatch: source has " + Long.toUnsignedString(pageCount)
                    + " pages, destination " + expectedPages);
        }
        UUID uuid = new UUID(in.readLong(), in.readLong());
        if (!uuid.equals(expectedUuid)) {
            throw new HypervisorException("memory stream is for domain " + uuid + ", not " + expectedUuid);
        }
        return new Header(pageSize, pageCount, uuid);
    }

    static void writeRound(DataOutputStream out, int round) throws IOException {
        out.writeByte(ROUND);
        out.writeInt(round);
    }

    /** Writes the head of a PAGES or ZEROS frame into {@code into} at {@code offset}. */
    static void putRunHead(byte[] into, int offset, int type, long first, int count) {
        ByteBuffer.wrap(into, offset, RUN_HEAD_BYTES).put((byte) type).putLong(first).putInt(count);
    }

    static void writeDone(DataOutputStream out, String digest) throws IOException {
        out.writeByte(DONE);
        out.writeUTF(digest);
    }
}
