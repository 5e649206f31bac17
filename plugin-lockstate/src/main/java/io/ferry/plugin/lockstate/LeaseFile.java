package io.ferry.plugin.lockstate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * One resource's lease in the shared lease directory: who holds it, and a generation that every acquire and
 * release advances, so a state names exactly one moment in the lease's life. Read and written under an
 * exclusive file lock.
 */
record LeaseFile(String resource, boolean held, String owner, String ownerUuid, String domain, long generation) {

    static LeaseFile read(FileChannel channel, String resource) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), 64 * 1024));
        channel.read(buffer, 0);
        Properties p = new Properties();
        p.load(new StringReader(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)));
        return new LeaseFile(resource, Boolean.parseBoolean(p.getProperty("held", "false")), p.getProperty("owner", ""),
                p.getProperty("ownerUuid", ""), p.getProperty("domain", ""), Long.parseLong(p.getProperty("generation", "0")));
    }

    /**
     * @param durable forced to disk before it returns: an acquire must be (a host that took a lease keeps it through
     *        a power cut); a release need not (lost, the lease stays with the host that lost power: nobody else takes
     *        it, and a migration's switch-over does not wait for the disk)
     */
    void write(FileChannel channel, boolean durable) throws IOException {
        Properties p = new Properties();
        p.setProperty("resource", resource);
        p.setProperty("held", Boolean.toString(held));
        p.setProperty("owner", owner);
        p.setProperty("ownerUuid", ownerUuid);
        p.setProperty("domain", domain);
        p.setProperty("generation", Long.toString(generation));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(out, "Ferry disk lease");
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(out.toByteArray()), 0);
        if (durable) {
            channel.force(true);
        }
    }

    /** Holds the file lock for the length of one read-modify-write. */
    static FileLock lock(FileChannel channel) throws IOException {
        return channel.lock();
    }
}
