package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.SideStream;
import io.ferry.testkit.TestSectionContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** A migration's context as the core gives it, with a side stream kept in memory (or replaced by test bytes). */
final class FakeContext extends TestSectionContext {
    SideStream.Writer offered;
    byte[] bytes;

    FakeContext() {
        migrationId("m1").sideStream(new SideStream() {
            @Override
            public void offer(Writer writer) {
                offered = writer;
            }

            @Override
            public InputStream open() throws IOException {
                return new ByteArrayInputStream(streamBytes());
            }
        });
    }

    byte[] streamBytes() throws IOException {
        if (bytes == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            offered.writeTo(out);
            bytes = out.toByteArray();
        }
        return bytes;
    }
}
