package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/** A call's path takes exactly the parameters its template names, each one path segment whatever it holds. */
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
}
