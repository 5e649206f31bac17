package io.ferry.testkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
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
        VirtualMachine seen = context.capability(VirtualMachine.class).orElseThrow();
        assertSame(console, seen.capability(GraphicsConsole.class).orElseThrow());
        assertSame(seen, seen.capability(VirtualMachine.class).orElseThrow());
        assertSame(console, context.capability(GraphicsConsole.class).orElseThrow());
        assertEquals(Optional.empty(), context.capability(Runnable.class));
    }

    /** As the daemons: a section that paused, resumed or stopped the VM would change what the migration judges. */
    @Test
    public void theVmIsReadOnlyAsInTheDaemons() {
        List<String> calls = new ArrayList<>();
        VirtualMachine vm = (VirtualMachine) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {VirtualMachine.class, DirectMigration.class, VmProcess.class},
                (proxy, method, args) -> {
                    calls.add(method.getName());
                    return method.getName().equals("spec") ? VM1 : method.getName().equals("isRunning") ? true : null;
                });
        VirtualMachine seen = new TestSectionContext().vm(vm).capability(VirtualMachine.class).orElseThrow();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, seen::resume);
        assertTrue(e.getMessage(), e.getMessage().startsWith("a cookie section may not resume the VM of domain 'vm1':"
                + " the migration pauses,"));
        assertThrows(UnsupportedOperationException.class, seen::pause);
        assertThrows(UnsupportedOperationException.class, seen::destroy);
        assertTrue(seen.isRunning());
        assertEquals(Optional.empty(), new TestSectionContext().vm(vm).capability(DirectMigration.class));
        assertEquals(Optional.empty(), seen.capability(DirectMigration.class));
        assertEquals(Optional.empty(), new TestSectionContext().vm(vm).capability(VmProcess.class));
        assertEquals("only the spec (naming the domain) and isRunning reached the VM", List.of("spec", "spec", "spec",
                "isRunning"), calls);
    }
}
