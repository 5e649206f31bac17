package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restarted daemon finding its domains again: definitions and live status from the state directory, each
 * active domain's VM from its driver once the driver registers, and the VM's leases once the lock manager
 * does (bundles start in any order).
 */
final class Reattachment {
    private static final Logger LOG = LoggerFactory.getLogger(Reattachment.class);

    private final DomainManager manager;
    private final DomainXml xml;
    private final StatusXml statusXml;
    private final VmExits exits;
    /** The re-attached domains waiting for the lock manager to take their leases, with what they ran and held. */
    private final Map<Domain, HeldLeases> leasesPending = new ConcurrentHashMap<>();
    /** The VMs found gone whose leases wait for the lock manager to be given back. */
    private final Set<HeldLeases> releasesPending = ConcurrentHashMap.newKeySet();
    /** The domains whose status a power cut emptied: what leases their VMs held is unknown. */
    private final Set<Domain> statusEmptied = ConcurrentHashMap.newKeySet();

    /**
     * The leases a VM held before the restart: its definition, and the state its status file recorded them held with
     * (null if it recorded none).
     */
    private record HeldLeases(DomainSpec spec, String state) {
    }

    Reattachment(DomainManager manager, DomainXml xml, StatusXml statusXml, VmExits exits) {
        this.manager = manager;
        this.xml = xml;
        this.statusXml = statusXml;
        this.exits = exits;
    }

    /**
     * Reads the definitions and live status of the state directory. A file that cannot be read makes its domain
     * {@link DomainState#UNREADABLE}: listed, refused every job, its files (definition, status, the VM's run
     * directory) left exactly as they are; a VM it may describe is neither re-attached nor shut off.
     */
    void load(Map<String, Domain> domains) throws IOException {
        DomainStore store = manager.store();
        for (DomainStore.StoredFile file : store.definitions()) {
            String text = null;
            try {
                text = file.read();
                DomainSpec spec = xml.parse(text);
                domains.computeIfAbsent(spec.name(), n -> new Domain(n, spec.uuid())).persistent(spec);
            } catch (IOException | CookieException e) {
                unreadable(domains, file, text, e.getMessage());
            }
        }
        for (DomainStore.StoredFile file : store.statuses()) {
            String text = null;
            try {
                text = file.read();
                if (text.chars().allMatch(c -> c == 0)) {
                    emptied(domains, file);
                    continue;
                }
                StatusXml.Status parsed = statusXml.read(text);
                Domain domain = domains.computeIfAbsent(parsed.spec().name(), n -> new Domain(n, parsed.spec().uuid()));
                if (domain.problem() == null) {
                    domain.live(parsed.spec(), null);
                    domain.state(parsed.state(), parsed.reason());
                    domain.releasedLeases(parsed.releasedLeases());
                    domain.heldLeases(parsed.heldLeases());
                    domain.pausedFor(parsed.pausedFor());
                }
            } catch (IOException | CookieException e) {
                unreadable(domains, file, text, e.getMessage());
            }
        }
    }

    /**
     * A status a power cut emptied (nothing, or NUL bytes: it is written without a sync, and a crash of the daemon alone
     * never leaves one so): its VM most likely died with the host, but only the driver can say. A persistent domain is
     * looked for by its definition, as running (the driver's word on its run state wins), and shut off if its VM is gone,
     * its leases left as they are: what it held or had released is unknown, and taking free ones to give them back
     * could make a migration's released state stale. A transient one, whose definition was in its status alone, stays
     * unreadable.
     */
    private void emptied(Map<String, Domain> domains, DomainStore.StoredFile file) {
        Domain domain = domains.get(file.name());
        if (domain == null || domain.problem() != null || domain.persistent() == null) {
            unreadable(domains, file, null, "emptied, as a power cut leaves a status written without a sync; its domain has"
                    + " no definition to find its VM by: remove the file once it is known not to run");
            return;
        }
        LOG.warn("the status {} of domain {} was emptied, as a power cut leaves it: its VM is looked for by its definition",
                file.path(), domain.name());
        domain.live(domain.persistent(), null);
        domain.state(DomainState.RUNNING, DomainState.Reason.UNKNOWN);
        statusEmptied.add(domain);
    }

    private static void unreadable(Map<String, Domain> domains, DomainStore.StoredFile file, String text, String why) {
        String problem = "cannot read " + file.path() + ": " + why;
        LOG.error("domain {} is unreadable and takes no job; its files are kept as they are: {}", file.name(), problem);
        Domain domain = domains.computeIfAbsent(file.name(), n -> new Domain(n, DomainXml.uuidIn(text)));
        if (domain.problem() == null) {
            domain.unreadable(problem);
        }
    }

    /** Finds again the VMs of the active domains of one type, now that its driver is there. */
    void reattach(String type) {
        for (Domain domain : manager.entries().values()) {
            if (domain.problem() != null || !domain.isActive() || domain.vm() != null || !domain.live().type().equals(type)) {
                continue;
            }
            try {
                // whichever migration owns the domain (one the journal left unfinished): its recovery waits for the VM
                domain.runJob("reattach", owner -> true, () -> {
                    Optional<VirtualMachine> vm = manager.driver(type).orElseThrow()
                            .reattach(domain.live(), manager.store().runDir(domain.uuid()));
                    if (vm.isPresent()) {
                        statusEmptied.remove(domain);
                        DomainSpec started = domain.live();
                        domain.live(DomainLifecycle.running(xml, domain, started, vm.get()), vm.get());
                        DomainLifecycle.keepStoredAsRunning(manager.store(), domain, started);
                        recordRunState(domain, vm.get());
                        exits.watch(domain, vm.get());
                        LOG.info("domain {} re-attached, {}{}", domain.name(), domain.state().display(),
                                domain.releasedLeases() == null ? "" : ", without its disk leases");
                        if (domain.reason() != DomainState.Reason.MIGRATION) {
                            retakeLeases(domain);
                        }
                    } else {
                        LOG.warn("domain {} was {} but its VM is gone: shut off", domain.name(), domain.state().display());
                        // a migration's recovery settles its leases; a VM that gave them back, or lost them, holds none
                        if (statusEmptied.remove(domain)) {
                            LOG.warn("domain {}: the disk leases its VM held, if any, stay this host's until it starts here"
                                    + " again or an operator gives them back", domain.name());
                        } else if (domain.reason() != DomainState.Reason.MIGRATION && domain.releasedLeases() == null) {
                            giveBackLeases(new HeldLeases(domain.live(), domain.heldLeases()));
                        }
                        manager.deactivate(domain, DomainState.Reason.UNKNOWN);
                    }
                    return null;
                });
            } catch (DomainException e) {
                // its VM may still run (a QEMU that did not answer in time): nothing here may destroy its files or
                // start a second one, so every job is refused, its files kept, until a restart re-attaches it
                LOG.error("cannot re-attach domain {}: {}", domain.name(), e.getMessage());
                domain.unreadable("its VM could not be re-attached (" + e.getMessage() + ") and may still run; stop it"
                        + " by hand if it must not");
            }
        }
    }

    /**
     * The state file says what the daemon last recorded; the driver says what the VM does. A daemon that died
     * between pausing a VM and recording it (a migration's switch-over) left "running" for a paused guest: the
     * driver's word wins, and recovery resumes the guest or reports it as it is (it asks the VM itself). A VM that
     * does not answer (a QEMU busy since re-attach asked it) keeps the record: taken for paused, a running guest was
     * recorded paused; showing the domain asks the VM again.
     */
    private void recordRunState(Domain domain, VirtualMachine vm) throws IOException {
        Optional<Boolean> answered = GuestCalls.runs(vm);
        if (answered.isEmpty()) {
            LOG.warn("domain {}: its hypervisor does not answer whether its guest runs; recorded {} as before",
                    domain.name(), domain.state().display());
            return;
        }
        boolean running = answered.get();
        if (running && domain.state() == DomainState.PAUSED) {
            LOG.warn("domain {} was recorded paused but its VM runs", domain.name());
            manager.setState(domain, DomainState.RUNNING, DomainState.Reason.UNPAUSED);
        } else if (!running && domain.state() == DomainState.RUNNING) {
            LOG.warn("domain {} was recorded running but its VM is paused", domain.name());
            manager.setState(domain, DomainState.PAUSED, DomainState.Reason.UNKNOWN);
        }
    }

    /**
     * A VM gone with its host (a reboot) leaves its leases held by this host in the lease store, which this daemon,
     * restarted, does not know it holds: given back, or no host could start the domain again. Only while they are
     * still as it recorded them held: free leases another host held since (an operator gave them back) may carry a
     * migration's switch-over state, which taking and releasing them again would make stale.
     */
    private void giveBackLeases(HeldLeases held) {
        if (!manager.leases().ready()) {
            releasesPending.add(held);
            return;
        }
        releasesPending.remove(held);
        manager.leases().giveBackForVmGone(held.spec(), held.state());
    }

    /** The lock manager arrived: the VMs waiting for it take their leases, those found gone give theirs back. */
    void retakePendingLeases() {
        releasesPending.forEach(this::giveBackLeases);
        for (Domain domain : List.copyOf(leasesPending.keySet())) {
            try {
                domain.runJob("lease recovery", owner -> true, () -> {
                    retakeLeases(domain);
                    return null;
                });
            } catch (DomainException e) {
                LOG.error("domain {}: {}", domain.name(), e.getMessage());
            }
        }
    }

    /**
     * A re-attached VM takes its leases again, with the state its status file recorded them held with: if another
     * host holds them now, or held them since (an operator gave them back while this daemon was down, and another
     * host ran the domain), it must not run here, nor ever on their word that they are free again. A paused VM that
     * gave them back takes none: its resume presents the state they were released with. One that ended or was
     * destroyed before the lock manager came gives back what this host held for it from before the restart, unless a
     * start once the lock manager came took them first (they are its new VM's: {@link Leases#giveBackForVmGone}).
     */
    private void retakeLeases(Domain domain) throws IOException {
        if (domain.releasedLeases() != null) {
            leasesPending.remove(domain);
            return;
        }
        if (!manager.leases().ready()) {
            leasesPending.put(domain, new HeldLeases(domain.live(), domain.heldLeases()));
            return;
        }
        HeldLeases ran = leasesPending.remove(domain);
        if (!domain.isActive()) {
            if (ran != null) {
                giveBackLeases(ran);
            }
            return;
        }
        try {
            manager.leases().acquire(domain.live(), domain.heldLeases());
        } catch (DomainException e) {
            LOG.error("domain {} cannot retake its leases ({}): pausing it", domain.name(), e.getMessage());
            domain.vm().pause();
            manager.pausedLeases().lost(domain, e, domain.heldLeases());
            manager.setState(domain, DomainState.PAUSED, DomainState.Reason.USER);
        }
    }
}
