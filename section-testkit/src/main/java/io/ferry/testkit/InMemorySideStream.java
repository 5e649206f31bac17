package io.ferry.testkit;

import io.ferry.api.cookie.SideStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A side stream kept in memory, as the two daemons would carry it: what the source offered is what the
 * destination opens, unless a test replaces the bytes ({@link #bytes}) to see how a section takes damage.
 */
public class InMemorySideStream implements SideStream {
    /** What the source's section offered, or null. */
    public Writer offered;
    /** The bytes the destination reads; filled from {@link #offered} at first use unless a test set them. */
    public byte[] bytes;

    @Override
    public void offer(Writer writer) {
        offered = writer;
    }

    @Override
    public InputStream open() throws IOException {
        return new ByteArrayInputStream(bytes());
    }

    /** The stream's bytes, written by the offered writer once. */
    public byte[] bytes() throws IOException {
        if (bytes == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            offered.writeTo(out);
            bytes = out.toByteArray();
        }
        return bytes;
    }
}
