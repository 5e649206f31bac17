package io.ferry.core.migration;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;

import io.ferry.api.cookie.SideStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/**
 * What sections offered, by migration: a bake that outlived its time limit (a slow snapshot store in Begin) offers
 * after its migration failed and its streams were forgotten; its writer, holding all the domain's snapshots, would be
 * kept for good, and its bundle's classes with it.
 */
public class SideStreamsTest {
    private static final SideStream.Writer BULK =
            out -> out.write("64 MiB of snapshots".getBytes(StandardCharsets.UTF_8));

    private final SideStreams streams = new SideStreams(null);

    @Test
    public void anOfferAfterItsMigrationsStreamsWereForgottenIsNotKept() {
        SideStream late = streams.of("m1", "key1", null, "snapshots");
        streams.of("m2", "key2", null, "snapshots").offer(BULK);

        streams.forget("m1"); // Begin given up at its section timeout, its bake still running
        late.offer(BULK);

        assertNull(streams.offered("m1", "key1", "snapshots"));
        assertNotNull("another migration's offer stays", streams.offered("m2", "key2", "snapshots"));
    }

    @Test
    public void anOfferGoesWhenItsMigrationsStreamsAreForgotten() {
        streams.of("m1", "key1", null, "snapshots").offer(BULK);
        assertNotNull(streams.offered("m1", "key1", "snapshots"));

        streams.forget("m1");

        assertNull(streams.offered("m1", "key1", "snapshots"));
    }
}
