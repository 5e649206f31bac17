package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import io.ferry.protocol.xml.Documents;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import org.junit.After;
import org.junit.Test;
import org.w3c.dom.Element;

/** A section that hangs, deaf to interruption, holds a share of the daemon's section workers, never all of them. */
public class SectionWorkerShareTest {
    private final ExecutorService workers = SectionRegistry.newWorkers();
    private final CountDownLatch release = new CountDownLatch(1);
    private final Element fragment = Documents.create().createElement("x");

    @After
    public void releaseTheHungCalls() {
        release.countDown();
        workers.shutdownNow();
    }

    private SectionHandle handle(String feature, SectionHandleTest.Behaviour behaviour) {
        SectionHandleTest.ScriptedSection section = new SectionHandleTest.ScriptedSection();
        section.behaviour = behaviour;
        SectionHandle fixture = TestSections.handle(SectionSource.of(section), feature, feature, Mandatory.NEVER,
                List.of(Phase.BEGIN), List.of(Phase.PREPARE), Duration.ofMillis(20));
        return new SectionHandle(fixture.descriptor(), fixture.source(), workers, fixture.timeout());
    }

    @Test
    public void aSectionThatHangsForeverLeavesWorkersToTheOthers() throws Exception {
        SectionHandle hung = handle("hung", () -> {
            while (true) {
                try {
                    release.await();
                    return "late";
                } catch (InterruptedException deaf) {
                    // ignores the daemon's interruption at its limit
                }
            }
        });
        SectionHandle healthy = handle("healthy", () -> "value");
        SectionFailure last = null;
        for (int i = 0; i < SectionRegistry.MAX_WORKERS; i++) {
            last = assertThrows(SectionFailure.class, () -> hung.parse(fragment));
        }
        assertTrue(last.getMessage(), last.getMessage().startsWith("cookie section hung "));
        assertEquals("value", healthy.parse(fragment));
    }
}
