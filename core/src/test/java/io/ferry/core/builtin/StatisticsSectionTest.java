package io.ferry.core.builtin;

import static org.junit.Assert.assertEquals;

import io.ferry.api.cookie.MigrationJob;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.core.section.MigrationSectionContext;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;

/** The built-in statistics section reads the job through the api, as a plug-in would. */
public class StatisticsSectionTest {
    private static final SectionContext.Host HERE = new SectionContext.Host("here", UUID.randomUUID());

    @Test
    public void bakesTheJobsFiguresFromItsMigrationJob() {
        MigrationJob job = new MigrationJob() {
            @Override
            public long startedMillis() {
                return 1_000;
            }

            @Override
            public MigrationStats stats() {
                return new MigrationStats(250, 4096, 8192, 0, 100, 3, 2, 12, 5, 4096, true);
            }
        };
        MigrationSectionContext context = new MigrationSectionContext(Phase.PERFORM, "m1", "vm", UUID.randomUUID(),
                List.of(job), Optional.empty(), null, HERE, Optional.empty(), "statistics");
        JobStatistics baked = new StatisticsSection().bake(context).orElseThrow();
        assertEquals(1_000, baked.get("started"));
        assertEquals(250, baked.get("time_elapsed"));
        assertEquals(12, baked.get("downtime"));
        assertEquals(8192, baked.get("memory_processed"));
        assertEquals(2, baked.get("memory_iteration"));
        assertEquals(baked.get("stopped"), baked.get("sent"));
    }

    @Test
    public void withoutAJobThereIsNothingToSay() {
        assertEquals(Optional.empty(), new StatisticsSection().bake(
                MigrationSectionContext.offline(Phase.PERFORM, "b", "vm", UUID.randomUUID(), HERE)));
    }
}
