package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.MigrationJob;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;
import org.junit.function.ThrowingRunnable;
import org.slf4j.LoggerFactory;

/** What a section finds with {@code capability}: what the core offered, the side stream of its feature, the VM's own. */
public class MigrationSectionContextTest {
    private static final DomainSpec SPEC = new DomainSpec("vm", UUID.randomUUID(), "sim", 1024, 1, List.of(), List.of(),
            List.of(), "<domain/>");
    private static final SectionContext.Host HERE = new SectionContext.Host("here", UUID.randomUUID());

    private static MigrationSectionContext context(List<Object> offered, VirtualMachine vm, List<String> streamsAskedFor) {
        return new MigrationSectionContext(Phase.PERFORM, "m1", "vm", SPEC.uuid(), offered, Optional.ofNullable(vm),
                feature -> {
                    streamsAskedFor.add(feature);
                    return new SideStream() {
                        @Override
                        public void offer(Writer writer) {
                        }

                        @Override
                        public InputStream open() {
                            return InputStream.nullInputStream();
                        }
                    };
                }, HERE, Optional.empty(), "", null).forSection("clock");
    }

    @Test
    public void theOfferedCapabilitiesAreFoundByTheirTypes() {
        MigrationJob job = new MigrationJob() {
            @Override
            public long startedMillis() {
                return 7;
            }

            @Override
            public MigrationStats stats() {
                return MigrationStats.NONE;
            }
        };
        List<String> streams = new ArrayList<>();
        MigrationSectionContext context = context(List.of(SPEC, job), null, streams);
        assertSame(SPEC, context.capability(DomainSpec.class).orElseThrow());
        assertSame(job, context.capability(MigrationJob.class).orElseThrow());
        assertTrue(context.capability(SideStream.class).isPresent());
        assertEquals("the side stream is the asking section's", List.of("clock"), streams);
        assertEquals(Optional.empty(), context.capability(VirtualMachine.class));
        assertEquals(Optional.empty(), context.capability(GraphicsConsole.class));
        assertEquals(Optional.empty(), MigrationSectionContext.offline(Phase.BEGIN, "b", "vm", SPEC.uuid(), HERE)
                .capability(SideStream.class));
    }

    @Test
    public void aVmsGraphicsAreItsOwnWhenItOffersThem() {
        NewDriverVm vm = new NewDriverVm();
        MigrationSectionContext context = context(List.of(SPEC), vm, new ArrayList<>());
        assertSame(SPEC, context.capability(VirtualMachine.class).orElseThrow().spec());
        assertSame(vm, context.capability(GraphicsConsole.class).orElseThrow());
        assertSame(vm, context.capability(VirtualMachine.class).orElseThrow().capability(GraphicsConsole.class)
                .orElseThrow());
    }

    /**
     * A section that resumed the source's guest after the switch-over gave its leases back (a "pause, read, resume"
     * habit) had it run without them, or beside its copy at the destination: the VM a section finds is read-only.
     */
    @Test
    public void aSectionCannotChangeTheVmsRunStateNorMoveItsMemory() {
        NewDriverVm vm = new NewDriverVm();
        VirtualMachine seen = context(List.of(SPEC), vm, new ArrayList<>()).capability(VirtualMachine.class)
                .orElseThrow();
        List<ThrowingRunnable> changes = List.of(seen::pause, seen::resume, seen::destroy,
                () -> seen.sendMemory(OutputStream.nullOutputStream(), null),
                () -> seen.receiveMemory(InputStream.nullInputStream(), null));
        for (ThrowingRunnable change : changes) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, change);
            assertTrue(e.getMessage(), e.getMessage().startsWith("cookie section clock may not "));
            assertTrue(e.getMessage(), e.getMessage().contains("the VM of domain 'vm'"));
        }
        assertEquals("nothing reached the VM", List.of(), vm.calls);
        assertTrue(seen.isRunning());
        assertSame(seen, seen.capability(VirtualMachine.class).orElseThrow());
        assertEquals(Optional.empty(), context(List.of(SPEC), vm, new ArrayList<>()).capability(DirectMigration.class));
        assertEquals(Optional.empty(), seen.capability(DirectMigration.class));
        assertEquals(Optional.empty(), context(List.of(SPEC), vm, new ArrayList<>()).capability(VmProcess.class));
        assertEquals(Optional.empty(), seen.capability(VmProcess.class));
    }

    /** A driver may offer its capabilities as other objects than the VM (and not itself): the VM is still the VM. */
    @Test
    public void theVmIsFoundThoughItsDriverOffersOnlyOtherObjects() {
        VirtualMachine vm = (VirtualMachine) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {VirtualMachine.class}, (proxy, method, args) -> method.getName().equals("capability")
                        ? Optional.empty() : null);
        assertEquals(Optional.empty(), vm.capability(DomainSpec.class));
        assertTrue(context(List.of(SPEC), vm, new ArrayList<>()).capability(VirtualMachine.class).isPresent());
    }

    @Test
    public void aDriverBuiltAgainstHypervisor11StillServesTheGraphicsSection() throws Exception {
        OldDriverVm vm = new OldDriverVm();
        GraphicsConsole graphics = context(List.of(SPEC), vm, new ArrayList<>()).capability(GraphicsConsole.class).orElseThrow();
        assertEquals(OldDriverVm.LISTENERS, graphics.listeners());
        graphics.relocateClients(new DomainSpec.Graphics("spice", 5901, "dst"), 5902, "CN=dst");
        assertEquals(List.of("spice dst:5901 CN=dst"), vm.relocations);
        assertTrue(graphics.awaitClientsMigrated(0));
    }

    /** A VM as a driver built against hypervisor 1.1 has it: the graphics methods of VirtualMachine, no GraphicsConsole. */
    @SuppressWarnings("deprecation")
    private static class OldDriverVm extends NewDriverVm {
        static final List<DomainSpec.Graphics> LISTENERS = List.of(new DomainSpec.Graphics("spice", 5900, "src"));
        final List<String> relocations = new ArrayList<>();

        @Override
        public <T> Optional<T> capability(Class<T> type) {
            return type == GraphicsConsole.class ? Optional.empty() : super.capability(type);
        }

        @Override
        public List<DomainSpec.Graphics> graphicsListeners() {
            return LISTENERS;
        }

        @Override
        public void relocateGraphicsClients(DomainSpec.Graphics destination, String tlsSubject) {
            relocations.add(destination.type() + " " + destination.listen() + ":" + destination.port() + " " + tlsSubject);
        }
    }

    private static class NewDriverVm implements VirtualMachine, GraphicsConsole, DirectMigration, VmProcess {
        final List<String> calls = new ArrayList<>();

        @Override
        public boolean responds() {
            return true;
        }

        @Override
        public void onExit(Runnable action) {
            calls.add("onExit");
        }

        @Override
        public String listenForMemory(String host) {
            calls.add("listen");
            return "tcp:" + host + ":1";
        }

        @Override
        public MigrationStats awaitMemory(MigrationControl control) {
            calls.add("await");
            return MigrationStats.NONE;
        }

        @Override
        public MigrationStats sendMemory(String dataUri, MigrationControl control) {
            calls.add("send " + dataUri);
            return MigrationStats.NONE;
        }

        @Override
        public List<DomainSpec.Graphics> listeners() {
            return List.of();
        }

        @Override
        public void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject) {
        }

        @Override
        public boolean awaitClientsMigrated(long timeoutMillis) {
            return true;
        }

        @Override
        public DomainSpec spec() {
            return SPEC;
        }

        @Override
        public boolean isRunning() {
            return true;
        }

        @Override
        public void pause() {
            calls.add("pause");
        }

        @Override
        public void resume() {
            calls.add("resume");
        }

        @Override
        public void destroy() {
            calls.add("destroy");
        }

        @Override
        public String memoryDigest() {
            return "0";
        }

        @Override
        public MigrationStats sendMemory(OutputStream out, MigrationControl control) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MigrationStats receiveMemory(InputStream in, MigrationControl control) {
            throw new UnsupportedOperationException();
        }
    }

    /**
     * A section logs what its peer sent (the graphics section the peer's hostname, the example section an attribute):
     * a line break in it, which a character reference carries through the cookie's XML, made a log line of the peer's
     * choosing, and a note of its own in a check's report. One line each now, as a section's failures are.
     */
    @Test
    public void whatASectionSaysStaysOneLineInTheLogAndInACheck() {
        Logger sections = (Logger) LoggerFactory.getLogger("io.ferry.section");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        sections.addAppender(lines);
        CheckHost check = new CheckHost(null, name -> null);
        String forged = "peer h\n2026-12-06 10:00:00 INFO  io.ferry.audit - forged";
        try {
            MigrationSectionContext context = MigrationSectionContext.check(Phase.PERFORM, "m1", "vm", SPEC.uuid(),
                    Optional.of(SPEC), HERE, check).forSection("clock");
            context.info(forged);
            context.warn(forged);
            context.capability(CheckOnly.class).orElseThrow().wouldDo(forged);
        } finally {
            sections.detachAppender(lines);
        }
        String oneLine = "peer h\\u000a2026-12-06 10:00:00 INFO  io.ferry.audit - forged";
        assertEquals(List.of("clock: " + oneLine, "clock: " + oneLine),
                lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertEquals(List.of("warning: " + oneLine, "would " + oneLine), check.notes("clock"));
    }
}
