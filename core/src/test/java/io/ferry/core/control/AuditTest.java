package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Operation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.Test;

/** An audit line is one line whatever a request puts in it: the log writes it as it is. */
public class AuditTest {
    private static final String FORGED = "FORGED io.ferry.audit - CN=admin (operator) destroy domain prod: ok";
    /** What a log reader could take for the end of a line, or what a terminal would act on. */
    private static final Pattern BREAKS = Pattern.compile("[\\p{Cntrl}\\x{80}-\\x{9f}\\x{2028}\\x{2029}]");

    @Test
    public void everyPartARequestChoseIsEscapedOntoTheOneLine() {
        Call destroy = new Call(Operation.DESTROY, new Caller("CN=host-b\r\n" + FORGED, Caller.Role.PEER, null),
                List.of("x\n" + FORGED), Map.of(), null);
        String line = Audit.line(destroy, "refused: no domain 'x\u2028" + FORGED + "'\u0085\u001b[2J\t.");
        assertEquals("CN=host-b\\r\\n" + FORGED + " (peer) destroy domain x\\n" + FORGED + ": refused: no domain 'x\\u2028"
                + FORGED + "'\\u0085\\u001b[2J\\t.", line);
        assertFalse(line, BREAKS.matcher(line).find());
    }

    /** A right-to-left override shows "destroy domain prod: ok" for a refusal it turns around: escaped. */
    @Test
    public void bidirectionalFormattingCharactersAreEscaped() {
        Call destroy = new Call(Operation.DESTROY, new Caller("CN=admin", Caller.Role.OPERATOR, null),
                List.of("\u202edorp\u2066x\u2069\u200e\u061c"), Map.of(), null);
        String line = Audit.line(destroy, "refused");
        assertEquals("CN=admin (operator) destroy domain \\u202edorp\\u2066x\\u2069\\u200e\\u061c: refused", line);
    }

    @Test
    public void aPeersPrepareWithALineFeedInItsIdIsAuditedOnOneLine() throws Exception {
        RouteTable routes = TestChannel.withOneDomain().routes;
        RouteTable.Match prepare = routes.find("POST", List.of("migration", "prepare"));
        Caller peer = new Caller("CN=host-b", Caller.Role.PEER, null);
        Call call = new Call(Operation.PREPARE, peer, prepare.parameters(), Map.of(), null);
        call.body(("<prepare id='y&#10;" + FORGED + "' key='k'/>").getBytes(StandardCharsets.UTF_8));
        BadRequest refused = assertThrows(BadRequest.class, () -> prepare.route().handler().handle(call));

        String line = Audit.line(call, "refused: " + refused.getMessage());
        assertFalse(line, BREAKS.matcher(line).find());
        assertTrue(line, line.startsWith("CN=host-b (peer) prepare migration y\\n" + FORGED + ": refused: "));
    }
}
