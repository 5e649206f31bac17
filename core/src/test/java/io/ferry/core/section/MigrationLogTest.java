package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Test;
import org.slf4j.MDC;

/** A migration's tag on the thread's log lines, and tags within tags (a Begin that records an earlier abort). */
public class MigrationLogTest {
    @Test
    public void anInnerTagGivesTheOuterOneBackWhenItEnds() {
        try (MigrationLog.Tag begin = MigrationLog.tag("begin:vm1")) {
            try (MigrationLog.Tag owed = MigrationLog.tag("m-owed")) {
                assertEquals("m-owed", MDC.get(MigrationLog.KEY));
            }
            assertEquals("the lines after the inner call are still the Begin's", "begin:vm1", MDC.get(MigrationLog.KEY));
        }
        assertNull(MDC.get(MigrationLog.KEY));
    }

    @Test
    public void theSameTagWithinItselfStaysUntilTheOuterEnds() {
        try (MigrationLog.Tag outer = MigrationLog.tag("m1")) {
            MigrationLog.tag("m1").close();
            assertEquals("m1", MDC.get(MigrationLog.KEY));
        }
        assertNull(MDC.get(MigrationLog.KEY));
    }
}
