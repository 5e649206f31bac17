package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The other files a qcow2 image has QEMU open, as its header names them (QEMU's docs/interop/qcow2.txt): its backing
 * file, with the backing file's format if the image records it, and its external data file. A peer's definition names
 * the image; these names are in the image's bytes, which a host that writes the shared storage it is on chose.
 *
 * @param backingFile null: none
 * @param backingFormat null: not recorded (QEMU would guess it)
 * @param dataFile null: none
 */
record Qcow2References(String backingFile, String backingFormat, String dataFile) {
    private static final int MAGIC = 0x514649fb; // "QFI\xfb"
    private static final int V2_HEADER_BYTES = 72;
    /** QEMU refuses a longer backing file name. */
    private static final int MAX_NAME_BYTES = 1023;
    /** The header and its extensions lie in the first cluster; past this much the image is not read further. */
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int EXTENSION_END = 0;
    private static final int EXTENSION_BACKING_FORMAT = 0xe2792aca;
    private static final int EXTENSION_DATA_FILE = 0x44415441;

    /** Reads the names {@code image}'s header gives; {@code named} is the image as messages name it. */
    static Qcow2References of(Path image, String named) throws HypervisorException {
        ByteBuffer header = ByteBuffer.allocate(MAX_HEADER_BYTES);
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
                // reads the start of the image, up to the bound
            }
        } catch (IOException e) {
            throw new HypervisorException(named + " cannot be read: " + e, e);
        }
        header.flip();
        if (header.limit() < V2_HEADER_BYTES || header.getInt(0) != MAGIC) {
            throw malformed(named, "not a qcow2 image");
        }
        int version = header.getInt(4);
        if (version != 2 && version != 3) {
            throw malformed(named, "qcow2 version " + version);
        }
        String backing = null;
        long backingOffset = header.getLong(8);
        int backingBytes = header.getInt(16);
        if (backingOffset != 0) {
            if (backingOffset < 0 || backingBytes <= 0 || backingBytes > MAX_NAME_BYTES
                    || backingOffset + backingBytes > header.limit()) {
                throw malformed(named, "its backing file name lies outside its header");
            }
            backing = text(header, (int) backingOffset, backingBytes);
        }
        int extensions = V2_HEADER_BYTES;
        if (version == 3) {
            extensions = header.limit() >= 104 ? header.getInt(100) : -1;
            if (extensions < 104 || extensions > header.limit()) {
                throw malformed(named, "its header length lies outside the header read");
            }
        }
        String backingFormat = null;
        String dataFile = null;
        for (int at = extensions; ; ) {
            if (at + 8 > header.limit()) {
                throw malformed(named, "its header extensions do not end within its first " + header.limit() + " bytes");
            }
            int type = header.getInt(at);
            int length = header.getInt(at + 4);
            if (type == EXTENSION_END) {
                break;
            }
            if (length < 0 || at + 8L + length > header.limit()) {
                throw malformed(named, "a header extension lies outside the header read");
            }
            if (type == EXTENSION_BACKING_FORMAT) {
                backingFormat = text(header, at + 8, length);
            } else if (type == EXTENSION_DATA_FILE) {
                dataFile = text(header, at + 8, length);
            }
            at += 8 + (length + 7) / 8 * 8;
        }
        return new Qcow2References(backing, backingFormat, dataFile);
    }

    private static String text(ByteBuffer header, int offset, int length) {
        byte[] bytes = new byte[length];
        header.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static HypervisorException malformed(String named, String why) {
        return new HypervisorException(named + " is not an image QEMU would read as its definition says: " + why);
    }
}
