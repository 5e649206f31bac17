package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.core.Latches;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.cookie.TextSection;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSource;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Begin;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * A section's bundle updated between Begin, whose bake offered the section's side stream (the snapshots' bodies), and
 * the destination's Prepare, which reads it: the old registration's writer is the old bundle's code, whose classes the
 * framework's refresh takes away. The stream is offered again by the new registration, and the migration goes on.
 */
public class SideStreamAfterUpdateTest {
    private static final String VM = "vm1";
    private final List<String> ate = new CopyOnWriteArrayList<>();

    /** A section that bakes a descriptor in Begin and offers its data on the side stream; Prepare eats both. */
    private class Bulk extends TextSection {
        private final String version;
        private final boolean offers;
        /** Set when its bundle is refreshed away: its writer's classes can no longer load. */
        volatile boolean refreshed;
        final AtomicInteger bakes = new AtomicInteger();

        Bulk(String version, boolean offers) {
            this.version = version;
            this.offers = offers;
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            bakes.incrementAndGet();
            if (!offers) {
                return Optional.empty();
            }
            context.capability(SideStream.class).orElseThrow().offer(out -> {
                if (refreshed) {
                    throw new NoClassDefFoundError("io/ferry/test/bulk/BulkWriter"); // as a refreshed bundle's code fails
                }
                out.write(("bulk data of " + version).getBytes(StandardCharsets.UTF_8));
            });
            return Optional.of("3 items");
        }

        @Override
        public void eat(SectionContext context, String value) throws IOException, CookieException {
            try (InputStream in = context.capability(SideStream.class).orElseThrow().open()) {
                ate.add(value + ": " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    private static SectionHandle bulk(Bulk section, String version) {
        return TestSections.handle(SectionSource.of(section), "bulk", "bulk", version, Mandatory.WHEN_BAKED,
                List.of(Phase.BEGIN), List.of(Phase.PREPARE), TestSections.TIMEOUT);
    }

    private TwoDaemons d;
    private String digest;

    /** The guest's migration begun, {@code section} (1.0) offering its stream on the source. */
    private TwoDaemons.ByHand begun(Bulk section) throws Exception {
        d = new TwoDaemons();
        digest = d.source.boot(VM);
        d.source.extraSections.add(bulk(section, "1.0"));
        d.destination.extraSections.add(bulk(new Bulk("1.0", true), "1.0"));
        return d.byHand(VM);
    }

    /**
     * The guest's migration begun with the section at 1.0, then the source's section bundle updated: {@code replacement}
     * registered, the old one's classes gone.
     */
    private TwoDaemons.ByHand begunThenUpdated(Bulk replacement) throws Exception {
        Bulk old = new Bulk("1.0", true);
        TwoDaemons.ByHand run = begun(old);
        d.source.extraSections.set(0, bulk(replacement, replacement.version));
        old.refreshed = true;
        return run;
    }

    @Test
    public void aSectionUpdatedAfterItsBeginOfferedItsStreamHasItsNewRegistrationWriteIt() throws Exception {
        Bulk updated = new Bulk("1.1", true);
        TwoDaemons.ByHand run = begunThenUpdated(updated);

        run.prepare().perform();
        run.confirm(false, run.finish().cookie());

        assertEquals(List.of("3 items: bulk data of 1.1"), ate);
        assertEquals("the new registration baked Begin's fragment again, for its stream", 1, updated.bakes.get());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** The same while the old registration is still the one registered: its own writer runs, not a second bake. */
    @Test
    public void aSectionNotUpdatedWritesWhatItsBeginOffered() throws Exception {
        Bulk section = new Bulk("1.0", true);
        TwoDaemons.ByHand run = begun(section);

        run.prepare().perform();
        run.confirm(false, run.finish().cookie());

        assertEquals(List.of("3 items: bulk data of 1.0"), ate);
        assertEquals("baked in Begin only", 1, section.bakes.get());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * An update to another major version since Begin offered the stream: its data is not what the destination's section
     * of the pinned version reads, and the migration's later phases leave it out. Its Begin was baked again and its
     * stream served to the destination all the same; the stream is refused now, naming both versions.
     */
    @Test
    public void anUpdateToAnotherMajorVersionFailsPrepareAndTheGuestStaysOnTheSource() throws Exception {
        Bulk updated = new Bulk("2.0", true);
        TwoDaemons.ByHand run = begunThenUpdated(updated);

        ChannelException refused = assertThrows(ChannelException.class, run::prepare);

        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section bulk was updated since Begin offered"
                + " its stream, to version 2.0, which migration " + run.begun.id() + " cannot use (it began with the"
                + " section's version 1.0)"));
        assertEquals("the new major version baked nothing for it", 0, updated.bakes.get());
        assertEquals(List.of(), ate);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void anUpdateWhoseNewRegistrationOffersNoStreamFailsPrepareAndTheGuestStaysOnTheSource() throws Exception {
        TwoDaemons.ByHand run = begunThenUpdated(new Bulk("1.1", false));

        ChannelException refused = assertThrows(ChannelException.class, run::prepare);

        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section bulk was updated since Begin offered"
                + " its stream, and its new registration offers none for migration " + run.begun.id()));
        assertEquals(List.of(), ate);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * Begin given up at its section timeout (a large or stalled snapshot store) while its bake goes on: the bake's
     * offer, which comes after Begin forgot the migration's streams, is not kept (its writer holds all the domain's
     * snapshots), and the id is not begun again, its stream being refused.
     */
    @Test(timeout = 60_000)
    public void aBakeThatOutlivesItsGivenUpBeginOffersNothingAndItsIdDoesNotBeginAgain() throws Exception {
        CountDownLatch store = new CountDownLatch(1);
        CountDownLatch offered = new CountDownLatch(1);
        Bulk slow = new Bulk("1.0", true) {
            @Override
            public Optional<String> bake(SectionContext context) {
                Latches.awaitUninterruptibly(store); // a stalled store's read
                Optional<String> baked = super.bake(context);
                offered.countDown();
                return baked;
            }
        };
        d = new TwoDaemons();
        digest = d.source.boot(VM);
        d.source.extraSections.add(TestSections.handle(SectionSource.of(slow), "bulk", "bulk", "1.0",
                Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE), Duration.ofMillis(300)));
        Begin begin = new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, "given-up-begin");

        ChannelException givenUp = assertThrows(ChannelException.class, () -> d.peer(d.source).begin(begin));
        store.countDown();
        assertTrue(offered.await(10, TimeUnit.SECONDS));

        assertTrue(givenUp.getMessage(), givenUp.getMessage().contains("cookie section bulk"));
        ChannelException again = assertThrows(ChannelException.class, () -> d.peer(d.source).begin(begin));
        assertTrue(again.getMessage(),
                again.getMessage().endsWith("migration id given-up-begin was used by a migration here (one that"
                        + " ended, or a Begin that failed): choose another"));
        assertFalse(d.source.engine().jobs().active(VM).isPresent());
        d.source.assertRuns(VM, digest);
    }
}
