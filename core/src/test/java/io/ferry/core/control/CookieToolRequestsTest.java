package io.ferry.core.control;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.Operation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** {@code ferry cookie check} as the channel routes it: a cookie without a domain definition beside it is checked alone. */
public class CookieToolRequestsTest {
    private static final String COOKIE = "<qemu-migration><name>vm1</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
            + "<hostname>elsewhere</hostname><hostuuid>1b4e28ba-2fa1-11d2-883f-0016d3cca428</hostuuid></qemu-migration>";

    @Test
    public void aCookieWithoutADefinitionIsCheckedAlone() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        Call call = new Call(Operation.COOKIE_TOOL, Caller.operator("test"), List.of("check"), Map.of("phase", "begin"), null);
        call.body(COOKIE.getBytes(StandardCharsets.UTF_8));

        String checked = channel.routes.route(Operation.COOKIE_TOOL).handler().handle(call).xml();

        assertEquals("<accepted phase='begin' sections=''/>\n", checked);
    }
}
