package io.ferry.core.section;

import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context handed to one section for one bake or eat. Its log lines name the section; the migration id
 * comes from the logging context ({@link MigrationLog}), which section calls inherit. Built-in sections get
 * nothing more than plug-ins: what they need is a capability of the api too.
 *
 * @param offered what this host offers the sections besides the VM and the side stream (the domain's definition,
 *        its leases, the migration job), each found by the types it implements
 * @param vm the domain's VM on this host, whose own capabilities are offered as well
 * @param streams the side stream of each feature in this migration, or null outside one
 * @param check in a check ({@code ferry cookie check}, {@code bake}), its stand-ins, which come first; null in a migration
 */
public record MigrationSectionContext(Phase phase, String migrationId, String domainName, UUID domainUuid,
        List<Object> offered, Optional<VirtualMachine> vm, Function<String, SideStream> streams, Host localHost,
        Optional<Host> remoteHost, String feature, CheckHost check) implements SectionContext {

    private static final Logger LOG = LoggerFactory.getLogger("io.ferry.section");

    public MigrationSectionContext {
        offered = List.copyOf(offered);
    }

    /** A context outside any migration that offers nothing. */
    public static MigrationSectionContext offline(Phase phase, String id, String name, UUID uuid, Host localHost) {
        return new MigrationSectionContext(phase, id, name, uuid, List.of(), Optional.empty(), null, localHost,
                Optional.empty(), "", null);
    }

    /**
     * The context of a check (the cookie tools): {@code check}'s stand-ins, and the domain's definition when one was
     * given; no VM.
     */
    public static MigrationSectionContext check(Phase phase, String id, String name, UUID uuid, Optional<DomainSpec> domain,
            Host localHost, CheckHost check) {
        return new MigrationSectionContext(phase, id, name, uuid, domain.<List<Object>>map(List::of).orElse(List.of()),
                Optional.empty(), null, localHost, Optional.empty(), "", check);
    }

    /** The same migration and phase, for another section. */
    public MigrationSectionContext forSection(String otherFeature) {
        return new MigrationSectionContext(phase, migrationId, domainName, domainUuid, offered, vm, streams, localHost,
                remoteHost, otherFeature, check);
    }

    /** The same, with the peer's identity as the incoming cookie states it. */
    public MigrationSectionContext withRemote(Host remote) {
        return new MigrationSectionContext(phase, migrationId, domainName, domainUuid, offered, vm, streams, localHost,
                Optional.of(remote), feature, check);
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (check != null) {
            Optional<T> standIn = check.capability(feature, domainName, type);
            if (standIn.isPresent()) {
                return standIn;
            }
        }
        if (type == SideStream.class) {
            return streams == null ? Optional.empty() : Optional.of(type.cast(streams.apply(feature)));
        }
        for (Object capability : offered) {
            if (type.isInstance(capability)) {
                return Optional.of(type.cast(capability));
            }
        }
        if (vm.isEmpty()) {
            return Optional.empty();
        }
        if (type == VirtualMachine.class || type == DirectMigration.class || type == VmProcess.class) {
            return new SectionVm(vm.get(), feature).capability(type);
        }
        Optional<T> own = vm.get().capability(type);
        if (own.isEmpty() && type == GraphicsConsole.class) {
            return Optional.of(type.cast(new DeprecatedGraphics(vm.get()))); // a driver built against hypervisor 1.1
        }
        return own;
    }

    /**
     * A section's words may quote its peer's (a cookie's hostname or attribute, where a character reference makes a
     * line break): one line each, cut short, as its failures are, so that a peer cannot write a log line of its own.
     */
    @Override
    public void info(String message) {
        LOG.info("{}: {}", feature, SectionCalls.oneLine(String.valueOf(message)));
    }

    @Override
    public void warn(String message) {
        String line = SectionCalls.oneLine(String.valueOf(message));
        LOG.warn("{}: {}", feature, line);
        if (check != null) {
            check.warned(feature, line);
        }
    }

    /** The graphics of a VM whose driver predates {@link GraphicsConsole}: its deprecated methods. */
    @SuppressWarnings("deprecation")
    private record DeprecatedGraphics(VirtualMachine vm) implements GraphicsConsole {
        @Override
        public List<DomainSpec.Graphics> listeners() {
            return vm.graphicsListeners();
        }

        @Override
        public void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject)
                throws HypervisorException {
            vm.relocateGraphicsClients(destination, tlsPort, tlsSubject);
        }

        @Override
        public boolean awaitClientsMigrated(long timeoutMillis) {
            return vm.awaitGraphicsClientsMigrated(timeoutMillis);
        }
    }
}
