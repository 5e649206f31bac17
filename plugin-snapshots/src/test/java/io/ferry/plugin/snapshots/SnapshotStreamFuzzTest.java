package io.ferry.plugin.snapshots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.api.cookie.CookieException;
import io.ferry.testkit.InMemorySnapshotStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The destination's reader of the snapshots side stream on hostile bytes, with a cookie descriptor that
 * matches them (count and digest), so that the fuzzer gets past the digest into the snapshots: the section
 * stages a forest or refuses with a one-line {@link CookieException}, and what it staged, baked again on a
 * source and eaten on another destination, stages the same.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/plugin/snapshots/SnapshotStreamFuzzTestInputs/}.
 */
class SnapshotStreamFuzzTest {
    @DictionaryEntries({"<domainsnapshot>", "</domainsnapshot>", "<name>", "</name>", "<parent>", "</parent>",
            "<description>", "&#13;", "&amp;", "<![CDATA[", "]]>", "<!DOCTYPE", "/>", "</", " ", "\u0000\u0000\u0000\u0001",
            "\u0000\u0000\u0000\u0002\u0001"})
    @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
    void streamsAreStagedOrRefusedAndWhatIsStagedMigratesAgain(byte[] stream) throws IOException {
        InMemorySnapshotStore destination = new InMemorySnapshotStore();
        FakeContext context = new FakeContext();
        context.stream.bytes = stream;
        int count = stream.length < 4 ? 0 : ByteBuffer.wrap(stream).getInt();
        try {
            new SnapshotsSection(destination).eat(context, new SnapshotDescriptor(count, "sha256:" + sha256(stream)));
        } catch (CookieException e) {
            String message = e.getMessage();
            assertTrue(message != null && !message.isBlank(), "a refusal must say why");
            assertFalse(message.contains("\n") || message.contains("\r"), () -> "a refusal must be one line: " + message);
            return;
        }
        InMemorySnapshotStore source = new InMemorySnapshotStore();
        source.snapshots.put(context.domainUuid(), destination.staged.get("m1"));
        if (destination.stagedCurrent.get("m1") != null) {
            source.current.put(context.domainUuid(), destination.stagedCurrent.get("m1"));
        }
        FakeContext again = new FakeContext();
        InMemorySnapshotStore next = new InMemorySnapshotStore();
        try {
            var descriptor = new SnapshotsSection(source).bake(again);
            if (descriptor.isPresent()) {
                new SnapshotsSection(next).eat(again, descriptor.get());
            }
        } catch (CookieException e) {
            throw new AssertionError("a staged hierarchy does not migrate again: " + e.getMessage(), e);
        }
        assertEquals(destination.staged.get("m1").isEmpty() ? null : destination.staged.get("m1"), next.staged.get("m1"),
                "what migrates again stages differently");
        assertEquals(destination.stagedCurrent.get("m1"), next.stagedCurrent.get("m1"), "the current snapshot changed");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
