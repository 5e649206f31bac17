package io.ferry.plugin.snapshots;

import io.ferry.testkit.InMemorySideStream;
import io.ferry.testkit.TestSectionContext;

/** A migration's context as the core gives it, with its side stream kept in memory. */
final class FakeContext extends TestSectionContext {
    final InMemorySideStream stream = new InMemorySideStream();

    FakeContext() {
        migrationId("m1").sideStream(stream);
    }
}
