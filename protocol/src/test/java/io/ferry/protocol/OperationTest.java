package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.junit.Test;

/**
 * A call's path takes exactly the parameters its template names, each one path segment whatever it holds; a request's
 * path matches an operation only segment for segment, each parameter a whole, non-empty segment.
 */
public class OperationTest {
    @Test
    public void eachParameterIsOneSegment() {
        assertEquals("domains/web%2F..%2Fdb/start", Operation.START.path("web/../db"));
        assertEquals("domains", Operation.LIST_DOMAINS.path());
    }

    @Test
    public void tooFewOrTooManyParametersAreRefused() {
        assertEquals("START needs domain",
                assertThrows(IllegalArgumentException.class, () -> Operation.START.path()).getMessage());
        assertEquals("START takes 1 parameters",
                assertThrows(IllegalArgumentException.class, () -> Operation.START.path("web", "db")).getMessage());
        assertEquals("LIST_DOMAINS takes 0 parameters",
                assertThrows(IllegalArgumentException.class, () -> Operation.LIST_DOMAINS.path("web")).getMessage());
    }

    @Test
    public void aPathMatchesSegmentForSegment() {
        assertEquals(List.of("web/../db"), Operation.START.match(List.of("domains", "web/../db", "start")));
        assertEquals(List.of(), Operation.LIST_DOMAINS.match(List.of("domains")));
        assertNull("one segment short", Operation.START.match(List.of("domains", "web")));
        assertNull("one segment more", Operation.START.match(List.of("domains", "web", "start", "now")));
        assertNull("an empty parameter", Operation.START.match(List.of("domains", "", "start")));
        assertNull("another literal", Operation.START.match(List.of("domains", "web", "destroy")));
        assertNull("another first literal", Operation.START.match(List.of("snapshots", "web", "start")));
    }
}
