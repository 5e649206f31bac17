package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainException;
import io.ferry.protocol.Operation;
import java.util.Map;
import org.junit.Test;

/**
 * {@code dumpxml}: the definition a domain runs while active, its stored one (the next boot's) with {@code --inactive}
 * or while it is shut off, as virsh's; an interface defined without a MAC address shows the one it was given.
 */
public class DomainDefinitionCallTest {
    private static final String VM = TestChannel.DOMAIN;
    private static final String UUID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

    private static String definition(int vcpus) {
        return "<domain type='sim'><name>" + VM + "</name><uuid>" + UUID + "</uuid><memory unit='KiB'>65536</memory>"
                + "<vcpu>" + vcpus + "</vcpu><devices><interface type='user'/></devices></domain>";
    }

    private static String dumpxml(TestChannel channel, Map<String, String> query) throws Exception {
        return channel.call(Operation.DOMAIN_XML, query, VM).xml();
    }

    @Test
    public void theRunningDefinitionUnlessTheStoredOneIsAskedFor() throws Exception {
        TestChannel channel = TestChannel.withOneDomain(new OneVm(new GuestVm()));
        channel.domains.define(definition(1));
        String mac = channel.domains.get(VM).persistent().nics().get(0).mac();
        assertTrue(dumpxml(channel, Map.of()), dumpxml(channel, Map.of()).contains("<mac address='" + mac + "'/>"));
        channel.domains.start(VM);
        channel.domains.define(definition(2));

        String live = dumpxml(channel, Map.of());
        String stored = dumpxml(channel, Map.of("inactive", "yes"));

        assertTrue(live, live.startsWith("<domain type='sim'>") && live.contains("<vcpu>1</vcpu>")
                && live.contains("<mac address='" + mac + "'/>"));
        assertTrue(stored, stored.contains("<vcpu>2</vcpu>"));
        assertEquals(channel.domains.get(VM).persistent().xml(), stored);
    }

    @Test
    public void anUnknownDomainIsNotFound() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        DomainException e = assertThrows(DomainException.class,
                () -> channel.call(Operation.DOMAIN_XML, Map.of(), "nosuch"));
        assertEquals("Domain not found: no domain with matching name 'nosuch'", e.getMessage());
    }
}
