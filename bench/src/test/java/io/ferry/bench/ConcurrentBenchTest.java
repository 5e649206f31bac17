package io.ferry.bench;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** A batch's aggregate counts the guests that moved and were verified, not those that failed or arrived unverified. */
public class ConcurrentBenchTest {
    @Test
    public void theAggregateCountsOnlyTheVerifiedGuests() {
        List<Migrations.Measured> runs = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            runs.add(new Migrations.Measured("c" + i, 900, 800, 64L << 20, 5, 1, 0.1, 0.1, i < 14, List.of()));
        }
        ConcurrentBench.Batch batch = new ConcurrentBench.Batch(2.0, 14, 15 * (64L << 20), new double[2], runs,
                Map.of(), List.of("c16: Finish refused"));

        assertEquals(14 * 64, batch.verifiedMiB(64), 0);
        assertEquals(14 * 64 / 2.0, batch.aggregateMiBs(64), 0);
        assertEquals("one failed, one arrived unverified", 2, batch.notVerified());
    }
}
