package io.ferry.testkit;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A section context whose every answer is set by the test (fluent setters, null for "none"), recording what the
 * section logs. Capabilities are what the test {@linkplain #offer offers}, found by the types they implement, plus
 * those of the {@linkplain #vm VM}, as the core finds them. Without a domain spec, the domain is
 * {@link #DOMAIN_NAME} / {@link #DOMAIN_UUID}.
 */
public class TestSectionContext implements SectionContext {
    public static final String DOMAIN_NAME = "vm";
    public static final UUID DOMAIN_UUID = UUID.fromString("00000000-0000-4000-8000-0000000000aa");

    /** The lines logged with {@link #info}, in order. */
    public final List<String> info = new ArrayList<>();
    /** The lines logged with {@link #warn}, in order. */
    public final List<String> warn = new ArrayList<>();
    /** What the section said it would do in a {@linkplain #checkOnly check}, in order. */
    public final List<String> wouldDo = new ArrayList<>();

    /** What the daemons refuse a section of the VM ({@code SectionVm}, in the core). */
    private static final Map<String, String> CHANGES = Map.of("pause", "pause", "resume", "resume", "destroy",
            "destroy", "sendMemory", "send the memory of", "receiveMemory", "receive the memory of");

    private final List<Object> offered = new ArrayList<>();
    private Phase phase = Phase.BEGIN;
    private String migrationId = "test";
    private DomainSpec domain;
    private VirtualMachine vm;
    private SideStream sideStream;
    private Host localHost = new Host("here", UUID.fromString("00000000-0000-4000-8000-0000000000bb"));
    private Host remoteHost;

    public TestSectionContext phase(Phase value) {
        phase = value;
        return this;
    }

    public TestSectionContext migrationId(String value) {
        migrationId = value;
        return this;
    }

    /** The migration's definition: the {@link DomainSpec} capability, and the domain's name and UUID. */
    public TestSectionContext domain(DomainSpec value) {
        domain = value;
        return this;
    }

    /** The domain's VM here: the {@link VirtualMachine} capability, and the capabilities it offers. */
    public TestSectionContext vm(VirtualMachine value) {
        vm = value;
        return this;
    }

    /** Offers capabilities (leases, a migration job, anything a section looks up; null: none); the first of a type wins. */
    public TestSectionContext offer(Object... capabilities) {
        for (Object capability : capabilities) {
            if (capability != null) {
                offered.add(capability);
            }
        }
        return this;
    }

    /** Offers the domain's leases. */
    public TestSectionContext leases(io.ferry.api.lock.DomainLeases value) {
        return offer(value);
    }

    /**
     * Offers the domain's leases, as the 1.0 type.
     *
     * @deprecated use {@link #leases(io.ferry.api.lock.DomainLeases)}
     */
    @Deprecated
    public TestSectionContext leases(io.ferry.api.cookie.DomainLeases value) {
        return offer(value);
    }

    /**
     * Makes the call a check ({@code ferry cookie check} or {@code bake}): offers {@link CheckOnly}, which records in
     * {@link #wouldDo}. A section must then change nothing on the host.
     *
     * @since 1.2
     */
    public TestSectionContext checkOnly() {
        return offer((CheckOnly) wouldDo::add);
    }

    /** This section's side stream: the {@link SideStream} capability. */
    public TestSectionContext sideStream(SideStream value) {
        sideStream = value;
        return this;
    }

    public TestSectionContext localHost(Host value) {
        localHost = value;
        return this;
    }

    public TestSectionContext remoteHost(Host value) {
        remoteHost = value;
        return this;
    }

    @Override
    public Phase phase() {
        return phase;
    }

    @Override
    public String migrationId() {
        return migrationId;
    }

    @Override
    public String domainName() {
        return domain == null ? DOMAIN_NAME : domain.name();
    }

    @Override
    public UUID domainUuid() {
        return domain == null ? DOMAIN_UUID : domain.uuid();
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == SideStream.class) {
            return Optional.ofNullable(sideStream).map(type::cast);
        }
        if (type == DomainSpec.class && domain != null) {
            return Optional.of(type.cast(domain));
        }
        for (Object capability : offered) {
            if (type.isInstance(capability)) {
                return Optional.of(type.cast(capability));
            }
        }
        if (vm == null) {
            return Optional.empty();
        }
        if (type == VirtualMachine.class) {
            return Optional.of(type.cast(readOnly(vm)));
        }
        return type == DirectMigration.class || type == VmProcess.class ? Optional.empty() : vm.capability(type);
    }

    /** The VM as the daemons offer it to a section: its run state and memory are the migration's to change. */
    private static VirtualMachine readOnly(VirtualMachine vm) {
        return (VirtualMachine) Proxy.newProxyInstance(TestSectionContext.class.getClassLoader(),
                new Class<?>[] {VirtualMachine.class}, (proxy, method, args) -> {
                    String change = CHANGES.get(method.getName());
                    if (change != null) {
                        throw new UnsupportedOperationException("a cookie section may not " + change + " the VM of"
                                + " domain '" + vm.spec().name() + "': the migration pauses, resumes and stops it,"
                                + " at the steps the migration needs");
                    }
                    if (method.getName().equals("capability") && (args[0] == VirtualMachine.class
                            || args[0] == DirectMigration.class || args[0] == VmProcess.class)) {
                        return args[0] == VirtualMachine.class ? Optional.of(proxy) : Optional.empty();
                    }
                    try {
                        return method.invoke(vm, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public Host localHost() {
        return localHost;
    }

    @Override
    public Optional<Host> remoteHost() {
        return Optional.ofNullable(remoteHost);
    }

    @Override
    public void info(String message) {
        info.add(message);
    }

    @Override
    public void warn(String message) {
        warn.add(message);
    }
}
