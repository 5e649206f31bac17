package io.ferry.testkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.VirtualMachine;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import org.junit.Test;

/** How a section's test finds what it looks up, as a daemon's context would offer it. */
public class TestSectionContextTest {
    private static final DomainSpec VM1 = Domains.fromXml("<domain type='sim'><name>vm1</name>"
            + "<uuid>11111111-2222-4333-8444-555555555555</uuid><memory unit='MiB'>1</memory><vcpu>1</vcpu></domain>");

    /** A capability type of a test's own. */
    private interface Leases {
    }

    @Test
    public void offeredCapabilitiesAreFoundByTypeTheFirstOfATypeWinning() {
        Leases first = new Leases() { };
        Leases second = new Leases() { };
        TestSectionContext context = new TestSectionContext().offer(null, first, second);
        assertSame(first, context.capability(Leases.class).orElseThrow());
        assertSame(first, context.capability(Object.class).orElseThrow());
        assertEquals("nothing offered of the type, and no VM", Optional.empty(), context.capability(Runnable.class));
    }

    @Test
    public void theDomainTheSideStreamAndTheVmAreCapabilitiesAndTheVmOffersItsOwn() {
        TestSectionContext bare = new TestSectionContext();
        for (Class<?> type : List.of(DomainSpec.class, SideStream.class, VirtualMachine.class, GraphicsConsole.class)) {
            assertEquals(type.getName(), Optional.empty(), bare.capability(type));
        }
        GraphicsConsole console = (GraphicsConsole) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {GraphicsConsole.class}, (proxy, method, args) -> null);
        VirtualMachine vm = (VirtualMachine) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {VirtualMachine.class}, (proxy, method, args) -> method.getName().equals("capability")
                        && args[0] == GraphicsConsole.class ? Optional.of(console) : Optional.empty());
        InMemorySideStream stream = new InMemorySideStream();
        TestSectionContext context = new TestSectionContext().domain(VM1).sideStream(stream).vm(vm);
        assertSame(VM1, context.capability(DomainSpec.class).orElseThrow());
        assertSame(stream, context.capability(SideStream.class).orElseThrow());
        assertSame(vm, context.capability(VirtualMachine.class).orElseThrow());
        assertSame(console, context.capability(GraphicsConsole.class).orElseThrow());
        assertEquals(Optional.empty(), context.capability(Runnable.class));
    }
}
