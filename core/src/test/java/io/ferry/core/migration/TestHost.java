package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LockManager;
import io.ferry.core.TestDirectories;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.SectionCatalog;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.process.BoundedProcessRunner;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * One daemon for engine tests, without OSGi: a real {@link DomainManager} and {@link MigrationEngine} over a
 * temporary state directory, a {@link FakeHypervisor}, an in-memory journal and the {@link Network}'s clock.
 * {@link #restart} builds the daemon anew over the same state, journal and VMs, as a crashed daemon comes back.
 */
final class TestHost {
    private static final BoundedProcessRunner PROCESSES = new BoundedProcessRunner(8);
    final String name;
    final String uri;
    final Path stateDir;
    final FakeHypervisor hypervisor = new FakeHypervisor();
    /** The host's journal; {@link #restartWithAnotherJournal} replaces it. */
    MemoryJournal journal = new MemoryJournal();
    /** The journal the daemon keeps in its state directory, in place of {@link #journal}, once {@link #useFileJournal}. */
    private FileJournal fileJournal;
    final FakeSnapshots snapshots = new FakeSnapshots();
    final List<SectionHandle> extraSections = new ArrayList<>();
    /** Runs each time the daemon looks at its registered sections: a bundle update that lands on a later look. */
    Runnable onSectionsLook = () -> { };
    /** The shared lock manager registers with the next {@link #restart} only when this is false (a bundle that comes late). */
    volatile boolean lockManagerLate;
    /** The next {@link #restart} is configured with leases off ({@code lockManager none}), as an operator may switch them. */
    volatile boolean leasesOff;
    /**
     * The lock manager the next {@link #restart} is configured with, and registers: {@code file}, the one every host
     * shares, unless {@link #switchLockManager} names another, as an operator may switch it.
     */
    private volatile String lockManagerName = "file";
    private volatile LockManager switchedTo;
    /** The hypervisor (its driver bundle) registers with the next {@link #restart} only when this is false. */
    volatile boolean hypervisorLate;
    /** The listen setting the next {@link #restart} is configured with (off loopback, with insecureTcp). */
    volatile String listen = "127.0.0.1:0";
    /** Whether the built-in persistent section is registered (without it no definition travels in the cookie). */
    volatile boolean persistentSection = true;
    /** Where the engine runs its settlements and give-backs: on the watchdog's thread unless a test says otherwise. */
    volatile Executor background = Runnable::run;
    /** Runs with the name, before the daemon looks a domain up by it (null: nothing). */
    volatile java.util.function.Consumer<String> beforeFind;
    /** What the host's section catalog says just left (a bundle being updated). */
    volatile Set<String> departed = Set.of();
    private final Network network;
    private final SharedLeases leases;
    /** The shared lock manager as last registered. */
    private Supplier<LockManager> lockManager;
    final UUID hostUuid = UUID.randomUUID();
    private final Set<Integer> protocols;
    private DomainManager domains;
    private MigrationEngine engine;
    /** Whether the daemon's control channel is TLS (the files are never read here). */
    /** The daemon's mutual TLS identity, for its data connections too; null: a plain channel. */
    private SSLContext tls;

    /** @param leases the lock manager every host shares, or null for none */
    TestHost(String name, Network network, SharedLeases leases, Set<Integer> protocols) throws IOException {
        this.name = name;
        this.uri = "test://" + name;
        this.network = network;
        this.leases = leases;
        this.protocols = protocols;
        this.stateDir = TestDirectories.create("ferry-engine-" + name);
        network.add(this);
        restart();
    }

    TestHost(String name, Network network, SharedLeases leases) throws IOException {
        this(name, network, leases, Set.of(2, 3));
    }

    /** A new daemon over this one's state: what it left unfinished, its recovery settles. */
    void restart() throws IOException {
        String lockManager = leases == null || leasesOff ? "none" : lockManagerName;
        DaemonSettings settings = DaemonSettings.resolve(Map.of("listen", listen, "hostname", name,
                "hostUuid", hostUuid.toString(), "stateDir", stateDir.toString(), "lockManager", lockManager,
                "insecureTcp", String.valueOf(!listen.startsWith("127."))), null);
        if (domains != null) {
            domains.close(); // a daemon that dies watches its VMs no more
        }
        domains = new DomainManager(settings, snapshots) {
            @Override
            public Optional<Domain> find(String name) {
                java.util.function.Consumer<String> hook = beforeFind;
                if (hook != null) {
                    hook.accept(name);
                }
                return super.find(name);
            }
        };
        if (leases != null && !lockManagerLate && !leasesOff) {
            registerLockManager();
        }
        if (!hypervisorLate) {
            registerHypervisor();
        }
        engine = new MigrationEngine(settings, new CookieBakery(new CookieCodec(new HardenedXmlParser())), domains,
                new SectionCatalog() {
                    @Override
                    public SectionSet get() {
                        return sections();
                    }

                    @Override
                    public Set<String> departedWithin(long millis) {
                        return departed;
                    }
                }, fileJournal != null ? fileJournal : journal,
                new Hooks(stateDir.resolve("hooks"), PROCESSES, Duration.ofSeconds(1)), snapshots, network,
                network.clock::get, network.timing, task -> background.execute(task),
                protocols, () -> uri, tls);
    }

    /**
     * The daemon anew over the same domains and VMs, but another journal: its state directory's journal wiped or
     * replaced (an operator's mistake, a restore of another host's files) while its guests ran on.
     */
    void restartWithAnotherJournal() throws IOException {
        journal = new MemoryJournal();
        restart();
    }

    /** The daemon anew with its journal in its state directory, as ferryd keeps it. */
    void useFileJournal() throws IOException {
        fileJournal = new FileJournal(stateDir);
        restart();
    }

    /** The journal in the state directory, once {@link #useFileJournal}. */
    FileJournal fileJournal() {
        return fileJournal;
    }

    /**
     * The next read of a record by {@code journal} fails as the kernel's file table, full, fails it; the file stays as
     * it was, and the read after reads it.
     */
    static void failsNextRead(FileJournal journal) {
        FileJournal.RecordReader disk = journal.reader;
        AtomicBoolean failed = new AtomicBoolean();
        journal.reader = file -> {
            if (failed.compareAndSet(false, true)) {
                throw new FileSystemException(file.toString(), null, "Too many open files");
            }
            return disk.read(file);
        };
    }

    /** The driver of the domains' VMs, which re-attaches those that ran on. */
    void registerHypervisor() {
        domains.addHypervisor(FakeHypervisor.TYPE, hypervisor);
    }

    /** The shared lock manager, in place of the file lock manager every host shares (or the one switched to). */
    void registerLockManager() {
        registerLockManager(switchedTo != null ? switchedTo : leases);
    }

    /**
     * The next {@link #restart} is configured with lock manager {@code name}, {@code manager} registered as it (null:
     * the shared one).
     */
    void switchLockManager(String name, LockManager manager) {
        lockManagerName = name;
        switchedTo = manager;
    }

    /** An instance of the lock manager every host shares, in the place of the one registered. */
    void registerLockManager(LockManager instance) {
        lockManager = () -> instance;
        domains.addLockManager(lockManagerName, lockManager);
    }

    /** The shared lock manager goes, as when its bundle is stopped or updated, until {@link #registerLockManager}. */
    void unregisterLockManager() {
        domains.removeLockManager(lockManagerName, lockManager);
    }

    /**
     * The shared lock manager stays registered, but its service object cannot be got (its component cannot activate:
     * ZooKeeper away as the ZooKeeper lock manager starts), until {@link #registerLockManager}.
     */
    void lockManagerCannotBeGot() {
        lockManager = () -> null;
        domains.addLockManager(lockManagerName, lockManager);
    }

    /** The daemon anew, with a mutual TLS identity (its data connections are TLS: its peer needs one too). */
    void withTls(SSLContext identity) throws IOException {
        tls = identity;
        restart();
    }

    private SectionSet sections() {
        onSectionsLook.run();
        List<SectionHandle> all = new ArrayList<>(List.of(TestSections.statistics(), TestSections.capabilities()));
        if (persistentSection) {
            all.add(TestSections.persistent());
        }
        all.addAll(extraSections);
        return new SectionSet(all);
    }

    /** Installs the hook script {@code etc/hooks/ferry} (a shell script body); its time limit here is 1 s. */
    void hook(String body) throws IOException {
        Path script = Files.createDirectories(stateDir.resolve("hooks")).resolve("ferry");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    }

    MigrationEngine engine() {
        return engine;
    }

    /** Waits until the incoming migration {@code id}'s memory has ended here (arrived or failed), or it is gone. */
    void awaitMemoryEnded(String id) {
        for (int i = 0; i < 30_000; i++) {
            if (engine.incoming(id).map(in -> in.memoryEndedAt > 0).orElse(true)) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("the memory of migration " + id + " has not ended on " + name + " after 30 s");
    }

    DomainManager domains() {
        return domains;
    }

    /** Defines and starts a guest with one leased disk; returns its memory digest. */
    String boot(String guest) throws Exception {
        domains.define(definition(guest));
        domains.start(guest);
        return digest(guest);
    }

    static String definition(String guest) {
        return "<domain type='" + FakeHypervisor.TYPE + "'><name>" + guest + "</name><uuid>" + uuid(guest) + "</uuid>"
                + "<memory unit='KiB'>64</memory><vcpu>1</vcpu><devices><disk type='file'><source file='/disks/" + guest
                + ".img'/><target dev='vda'/></disk></devices></domain>";
    }

    static UUID uuid(String guest) {
        return UUID.nameUUIDFromBytes(guest.getBytes(StandardCharsets.UTF_8));
    }

    Optional<Domain> domain(String guest) {
        return domains.find(guest);
    }

    FakeVm vm(String guest) {
        return hypervisor.vm(uuid(guest));
    }

    /** The guest's VM answers nothing from now on (a QEMU busy past its command timeout) until its silent is unset. */
    FakeVm silence(String guest) {
        FakeVm vm = vm(guest);
        vm.silent = true;
        return vm;
    }

    /** The status file of {@code guest} here, there or not. */
    Path status(String guest) {
        return stateDir.resolve("status").resolve(guest + ".xml");
    }

    /** The status file of {@code guest} cannot be deleted from now on: a non-empty directory stands in its place. */
    void statusUndeletable(String guest) {
        try {
            Files.delete(status(guest));
            Files.createDirectories(status(guest).resolve("entry"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String digest(String guest) {
        return domains.find(guest).map(d -> ((FakeVm) d.vm()).contents()).orElse(null);
    }

    /** The guest runs here: state and VM both say so, and it has the memory it had. */
    void assertRuns(String guest, String digest) {
        Domain domain = domains.find(guest).orElse(null);
        assertNotNull(guest + " is unknown on " + name, domain);
        assertEquals(guest + " on " + name, DomainState.RUNNING, domain.state());
        assertTrue(guest + "'s VM runs on " + name, domain.vm() != null && domain.vm().isRunning());
        if (digest != null) {
            assertEquals(guest + "'s memory on " + name, digest, ((FakeVm) domain.vm()).contents());
        }
        assertFree(domain);
        if (leases != null && !leasesOff) { // with leases off it takes none
            assertEquals(guest + "'s disk lease", name, leases.holder("/disks/" + guest + ".img"));
        }
    }

    /** The guest has no live copy here: not listed, or shut off with its VM gone. */
    void assertGone(String guest) {
        Optional<Domain> domain = domains.find(guest);
        if (domain.isPresent()) {
            assertEquals(guest + " on " + name, DomainState.SHUTOFF, domain.get().state());
            assertFree(domain.get());
        }
        FakeVm vm = vm(guest);
        assertTrue(guest + " has a VM left on " + name, vm == null || vm.isDestroyed());
    }

    /** No migration claims the domain, and its job lock is free. */
    private void assertFree(Domain domain) {
        assertNull(domain.name() + " is still claimed by a migration on " + name, domain.migration());
        try {
            domains.withJob(domain, "check", () -> null);
        } catch (Exception e) {
            throw new AssertionError(domain.name() + "'s job lock on " + name + ": " + e.getMessage(), e);
        }
    }

    /** The guest is here as libvirt's paused (user): its VM paused, and nothing resumes it but its operator. */
    void assertPausedByItsOperator(String guest) {
        assertPaused(guest);
        assertEquals(guest + "'s reason on " + name, DomainState.Reason.USER, domains.find(guest).orElseThrow().reason());
    }

    /** The guest is here, paused, and no VM of it runs: it waits for someone to settle it. */
    void assertPaused(String guest) {
        Domain domain = domains.find(guest).orElseThrow();
        assertEquals(guest + " on " + name, DomainState.PAUSED, domain.state());
        assertTrue(guest + "'s VM is paused on " + name, domain.vm() != null && !domain.vm().isRunning());
    }
}
