package io.ferry.plugin.graphics;

import static org.junit.Assert.assertEquals;

import io.ferry.api.cookie.SectionContext;
import io.ferry.plugin.graphics.GraphicsSectionTest.FakeConsole;
import io.ferry.testkit.Fragments;
import io.ferry.testkit.TestSectionContext;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * What a destination's graphics section may make the source tell its clients: the source relays the listen address
 * and ports to its graphics servers, which pass them on to every connected client (the embedded hypervisor's clients
 * read one line per command; QEMU's SPICE clients resolve the name and connect).
 */
public class HostileRelocationTest {
    private final GraphicsSection section = new GraphicsSection();

    /** The source's VM with graphics, and the peer's hostname. */
    private static TestSectionContext source(FakeConsole console) {
        TestSectionContext context = new TestSectionContext();
        context.offer(console);
        context.remoteHost(new SectionContext.Host("host-b.example", UUID.randomUUID()));
        return context;
    }

    /**
     * A listen address with a line break (a character reference survives the cookie's XML) would reach the clients of
     * the embedded hypervisor as a second RELOCATE line of the peer's choosing; text that names no host (spaces, a
     * shell's characters, 300 characters, an IPv4 address with an octet past 255 or a fifth part, which a resolver
     * would look up as a name) reaches QEMU's clients as a name to resolve. Nobody is told anything.
     */
    @Test
    public void aListenAddressThatNamesNoHostRelocatesNobody() throws Exception {
        GraphicsRelocation injected = section.parse(Fragments.parse(
                "<graphics type='vnc' port='5901' listen='192.0.2.7&#10;RELOCATE 10.0.0.9 22'/>"));
        assertEquals("the cookie carries the line break", "192.0.2.7\nRELOCATE 10.0.0.9 22", injected.listen());
        for (String listen : List.of(injected.listen(), "a b", "host;reboot", "-oProxyCommand=x", "x".repeat(300),
                "[::1", "host..example", "256.1.1.1", "192.0.2.300", "192.0.2.7.9")) {
            FakeConsole console = new FakeConsole(List.of());
            TestSectionContext context = source(console);
            section.eat(context, new GraphicsRelocation("vnc", 5901, listen, null, null));
            assertEquals(listen, List.of(), console.relocations);
            assertEquals(listen, 1, context.warn.size());
        }
    }

    /**
     * A destination that listens on a wildcard address is named by its cookie's hostname, which is the peer's text as
     * much as its listen address: a line break in it reached the embedded hypervisor's clients as a second RELOCATE
     * line. Nobody is told anything, and the warning escapes it.
     */
    @Test
    public void aWildcardListenersHostnameThatNamesNoHostRelocatesNobody() {
        for (String hostname : java.util.Arrays.asList("b.example\nRELOCATE 10.0.0.9 22", "a b", "x".repeat(300), "", null)) {
            FakeConsole console = new FakeConsole(List.of());
            TestSectionContext context = new TestSectionContext();
            context.offer(console);
            context.remoteHost(new SectionContext.Host(hostname, UUID.randomUUID()));
            section.eat(context, new GraphicsRelocation("vnc", 5901, "0.0.0.0", null, null));
            assertEquals(hostname, List.of(), console.relocations);
            assertEquals(hostname, 1, context.warn.size());
            if (hostname != null && hostname.contains("\n")) {
                assertEquals("destination graphics listen on 0.0.0.0 and its hostname 'b.example\\x0aRELOCATE 10.0.0.9 22'"
                        + " is no host name or IP address: clients are not relocated", context.warn.get(0));
            }
        }
    }

    /** The warning quotes the peer's text with its control characters escaped: a log line cannot be split or forged. */
    @Test
    public void theWarningShowsThePeersTextWithControlCharactersEscaped() {
        FakeConsole console = new FakeConsole(List.of());
        TestSectionContext context = source(console);
        section.eat(context, new GraphicsRelocation("vnc", 5901, "192.0.2.7\nRELOCATE\u001b[2J", null, null));
        assertEquals(List.of("destination graphics listen on '192.0.2.7\\x0aRELOCATE\\x1b[2J', which is no host name or IP"
                + " address: clients are not relocated"), context.warn);
    }

    @Test
    public void aPortThatIsNoTcpPortRelocatesNobody() {
        for (GraphicsRelocation relocation : List.of(new GraphicsRelocation("vnc", 0, "192.0.2.7", null, null),
                new GraphicsRelocation("vnc", -1, "192.0.2.7", null, null),
                new GraphicsRelocation("spice", 65536, "192.0.2.7", -1, null),
                new GraphicsRelocation("spice", 5900, "192.0.2.7", 70000, null))) {
            FakeConsole console = new FakeConsole(List.of());
            TestSectionContext context = source(console);
            section.eat(context, relocation);
            assertEquals(relocation.toString(), List.of(), console.relocations);
            assertEquals(relocation.toString(), 1, context.warn.size());
        }
    }

    @Test
    public void hostNamesAndAddressesStillRelocate() {
        for (String listen : List.of("192.0.2.7", "host-b.example", "host-b.example.", "2001:db8::7", "[2001:db8::7]", "h_1")) {
            FakeConsole console = new FakeConsole(List.of());
            TestSectionContext context = source(console);
            section.eat(context, new GraphicsRelocation("spice", 5901, listen, 5902, "CN=b"));
            assertEquals(listen, 1, console.relocations.size());
            assertEquals(listen, List.of(), context.warn);
        }
    }
}
