package io.ferry.plugin.lockstate;

import io.ferry.api.lock.LockException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.zip.CRC32;

/**
 * One resource's lease in the shared lease directory: who holds it, and a generation that every acquire and
 * release advances, so a state names exactly one moment in the lease's life. Read and written under an
 * exclusive file lock.
 *
 * <p>The file is a properties file whose first line is a checksum of the lease's keys (first, so that a write cut
 * short anywhere past it is caught). A lease is written over the previous one in place, never truncated, and padded
 * with a comment to at least the previous length: a write cut short reads as damaged (its holder unknown, so it is
 * refused), never as free. An empty file was never written (or was removed and made anew), and is free. A file
 * without a checksum was written by an earlier version, and is read as it is.
 */
record LeaseFile(String resource, boolean held, String owner, String ownerUuid, String domain, long generation) {
    private static final String CHECKSUM = "checksum";
    private static final List<String> KEYS = List.of("resource", "held", "owner", "ownerUuid", "domain", "generation");
    private static final int MAX_BYTES = 64 * 1024;
    /** Below it, a new file's first generation: leaves room for 9 * 10^17 changes within a generation's 18 digits. */
    private static final long FIRST_GENERATION_BOUND = 100_000_000_000_000_000L;
    private static final SecureRandom FIRST_GENERATIONS = new SecureRandom();

    /**
     * A lease file never written, or removed (how an operator gives back the leases of a host gone for good): its
     * generations start anywhere, not at 0, so that a file made anew never reaches a generation that a state of
     * the removed one names, and that stale state stays refused.
     */
    static LeaseFile free(String resource) {
        return new LeaseFile(resource, false, "", "", "", FIRST_GENERATIONS.nextLong(FIRST_GENERATION_BOUND));
    }

    /** @throws LockException the file is damaged: nobody knows who holds the lease */
    static LeaseFile read(FileChannel channel, Path file, String resource) throws IOException, LockException {
        long size = channel.size();
        if (size == 0) {
            return free(resource); // never written: a holder's acquire is on disk before it returns
        }
        if (size > MAX_BYTES) {
            throw damaged(file, resource, "it is larger than any lease");
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) size);
        while (bytes.hasRemaining() && channel.read(bytes, bytes.position()) >= 0) {
            // a read may return less than asked
        }
        Properties keys = new Properties();
        try {
            keys.load(new StringReader(new String(bytes.array(), 0, bytes.position(), StandardCharsets.ISO_8859_1)));
        } catch (IllegalArgumentException e) {
            throw damaged(file, resource, "it is not a properties file: " + e.getMessage());
        }
        return parse(keys, file, resource);
    }

    private static LeaseFile parse(Properties keys, Path file, String resource) throws LockException {
        for (String key : KEYS) {
            if (keys.getProperty(key) == null) {
                throw damaged(file, resource, "it has no " + key);
            }
        }
        String held = keys.getProperty("held");
        String generation = keys.getProperty("generation");
        if (!held.equals("true") && !held.equals("false") || !generation.matches("[0-9]{1,18}")) {
            throw damaged(file, resource, "held is '" + held + "', generation '" + generation + "'");
        }
        LeaseFile lease = new LeaseFile(keys.getProperty("resource"), Boolean.parseBoolean(held), keys.getProperty("owner"),
                keys.getProperty("ownerUuid"), keys.getProperty("domain"), Long.parseLong(generation));
        String checksum = keys.getProperty(CHECKSUM);
        if (checksum != null && !checksum.equals(lease.checksum())) {
            throw damaged(file, resource, "its checksum does not match: a write of it was cut short");
        }
        if (!lease.resource().equals(resource)) {
            throw damaged(file, resource, "it is the lease of " + lease.resource());
        }
        return lease;
    }

    private static LockException damaged(Path file, String resource, String why) {
        return new LockException("lease file " + file + " of resource " + resource + " is damaged (" + why + "): the lease's"
                + " holder is unknown, so it is neither taken nor given back. Check which host runs a domain on " + resource
                + " (ferry list on each host) and stop it there, if any; then remove " + file);
    }

    /**
     * Writes this lease over the file's content in place, padded to the file's length so no line of a longer previous
     * lease is left to be read.
     */
    void write(FileChannel channel) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(encode(channel.size()));
        while (bytes.hasRemaining()) {
            channel.write(bytes, bytes.position());
        }
    }

    private byte[] encode(long atLeast) {
        StringBuilder text = new StringBuilder(CHECKSUM).append('=').append(checksum()).append('\n');
        lines().forEach(line -> text.append(line).append('\n'));
        long padding = atLeast - text.length();
        if (padding > 0) {
            text.append(padding == 1 ? "\n" : "#" + " ".repeat((int) padding - 2) + "\n");
        }
        return text.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The lease's lines, checksum apart, in a fixed order: what the checksum covers. */
    private List<String> lines() {
        return List.of(line("resource", resource), line("held", Boolean.toString(held)), line("owner", owner),
                line("ownerUuid", ownerUuid), line("domain", domain), line("generation", Long.toString(generation)));
    }

    private String checksum() {
        CRC32 crc = new CRC32();
        crc.update(String.join("\n", lines()).getBytes(StandardCharsets.ISO_8859_1));
        return String.format(Locale.ROOT, "crc32:%08x", crc.getValue());
    }

    /** A properties line: every character but printable ASCII (and a leading space) as a Unicode escape. */
    private static String line(String key, String value) {
        StringBuilder line = new StringBuilder(key).append('=');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                line.append("\\\\");
            } else if (c < 0x20 || c > 0x7e || c == ' ' && i == 0) {
                line.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        return line.toString();
    }
}
