package io.ferry.api.cookie;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Bulk data that does not fit a cookie (snapshot metadata of thousands of snapshots): the source section
 * offers a writer when it bakes a small descriptor; the destination section opens the stream when it eats the
 * descriptor, and the core carries the bytes between the two daemons. A capability of the context:
 * {@code context.capability(SideStream.class)}, in a migration.
 */
@ProviderType
public interface SideStream {
    /**
     * Writes the section's bulk data; may be called more than once (the destination reads it once). It runs when the
     * destination asks for the stream, after the bake that offered it, under {@link CookieSection}'s call contract.
     */
    interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Source, while baking: makes {@code writer}'s data available to the destination for this migration. An offer that
     * comes once the migration has ended (a bake that outlived its time limit) is dropped.
     */
    void offer(Writer writer);

    /**
     * Destination, while eating: the data the source's section offered. A read by an interrupted thread (the call
     * past its time limit) throws {@link java.io.InterruptedIOException}; a read already waiting ends when the next
     * bytes come or at the daemon's read timeout.
     */
    InputStream open() throws IOException;
}
