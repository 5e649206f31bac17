package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a host accepts it can store and read back: a failed define or start leaves nothing, two domains never
 * share a UUID, a definition fits the files that wrap it, and a file the restarted daemon cannot read keeps its
 * domain listed, untouched and refused every job.
 */
public class DomainManagerTest {
    private static final UUID U1 = UUID.fromString("00000000-0000-4000-8000-0000000000a1");
    private static final UUID U2 = UUID.fromString("00000000-0000-4000-8000-0000000000a2");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private TestHost host;

    @Before
    public void startHost() throws Exception {
        host = new TestHost(folder.getRoot().toPath());
    }

    /** A sim domain whose elements nest {@code depth} deep (at least 2: the domain and its metadata). */
    private static String vm(String name, UUID uuid, int depth) {
        return "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='MiB'>16</memory>"
                + "<metadata>" + "<x>".repeat(depth - 2) + "</x>".repeat(depth - 2) + "</metadata></domain>";
    }

    private static String vm(String name, UUID uuid) {
        return vm(name, uuid, 2);
    }

    private List<String> listed() {
        return host.manager.list().stream().map(Domain::name).toList();
    }

    @Test
    public void aDefineThatCannotBeStoredLeavesNoDomain() throws Exception {
        Path file = host.file("domains", "ghost.xml");
        Files.createDirectories(file.resolve("in-the-way")); // the definition cannot be renamed into place
        DomainException e = assertThrows(DomainException.class, () -> host.manager.define(vm("ghost", U1)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("define of domain ghost failed: cannot write " + file + ": "));
        assertEquals(List.of(), listed());
        assertEquals("Domain not found: no domain with matching name 'ghost'",
                assertThrows(DomainException.class, () -> host.manager.get("ghost")).getMessage());
        assertEquals(List.of("in-the-way"), Files.list(file).map(p -> p.getFileName().toString()).toList());
    }

    /**
     * A committed arrival with nothing staged, whose domain this host no longer knows (gone since), installs nothing
     * and fails nothing, whether it staged a definition (deleted since) or none: the lookup of the domain threw.
     */
    @Test
    public void anArrivalWithNothingStagedWhoseDomainIsGoneInstallsNothing() throws Exception {
        for (boolean staged : new boolean[] {false, true}) {
            host.manager.migrating().installIncomingDefinition("m-gone", host.manager.parse(vm("gone", U2)), staged);
        }
        assertEquals(List.of(), listed());
    }

    @Test
    public void aUuidBelongsToOneDomainAtDefineAndOnArrival() throws Exception {
        host.manager.define(vm("first", U1));
        String taken = "operation failed: domain 'first' is already defined with uuid " + U1;
        assertEquals(taken, assertThrows(DomainException.class, () -> host.manager.define(vm("second", U1))).getMessage());
        assertEquals(taken, assertThrows(DomainException.class,
                () -> host.manager.migrating().incoming(host.manager.parse(vm("second", U1)))).getMessage());
        assertEquals("operation failed: domain 'first' already exists with uuid " + U1,
                assertThrows(DomainException.class, () -> host.manager.define(vm("first", U2))).getMessage());
        assertEquals(List.of("first"), listed());
        assertFalse(Files.exists(host.file("domains", "second.xml")));
        assertEquals(U1, host.manager.define(vm("first", U1)).uuid()); // redefining the same domain is fine
    }

    /**
     * A define or arrival whose second read of the staged definitions (once its new entry holds the UUID) fails, a
     * transient EIO or EMFILE, leaves no entry: one left was listed shut off, with no definition, and held the UUID
     * against every other name until ferryd restarted.
     */
    @Test
    public void anAdmissionWhoseSecondReadOfTheStagedDefinitionsFailsLeavesNoEntry() throws Exception {
        AtomicInteger listings = new AtomicInteger();
        Set<Integer> failing = Set.of(2, 4); // the second read of the define, then of the arrival
        DomainEntries entries = new DomainEntries();
        DomainDefinitions definitions = new DomainDefinitions(host.manager, entries, host.manager.store(),
                host.manager.xml(), () -> {
                    if (failing.contains(listings.incrementAndGet())) {
                        throw new IOException("Input/output error");
                    }
                    return host.manager.store().stagedDefinitions();
                });
        assertTrue(assertThrows(DomainException.class, () -> definitions.define(vm("vm2", U1))).getMessage()
                .endsWith("cannot be listed: Input/output error"));
        assertEquals(Optional.empty(), entries.find("vm2"));
        assertThrows(DomainException.class, () -> definitions.admit(host.manager.parse(vm("vm2", U1))));
        assertEquals(Optional.empty(), entries.find("vm2"));
        assertEquals(U1, definitions.define(vm("vm3", U1)).uuid());
    }

    /**
     * A define whose name's entry (an arrival's, refused) is dropped after the define looked at the entries and before
     * it holds their lock, another arrival staging a definition with the UUID in between: the entry the define
     * creates reads the staged definitions again. Told by whether it was known before, it read them no more.
     */
    @Test
    public void anEntryCreatedInPlaceOfOneDroppedMeanwhileReadsTheStagedDefinitionsAgain() throws Exception {
        AtomicInteger listings = new AtomicInteger();
        DomainEntries entries = new DomainEntries();
        DomainDefinitions definitions = new DomainDefinitions(host.manager, entries, host.manager.store(),
                host.manager.xml(), () -> {
                    List<DomainStore.StoredFile> listed = host.manager.store().stagedDefinitions();
                    if (listings.incrementAndGet() == 3) { // the define's first read
                        entries.forgetIfGone(entries.find("vm2").orElseThrow());
                        host.manager.store().stageDefinition("m1", vm("vm1", U1));
                    }
                    return listed;
                });
        definitions.admit(host.manager.parse(vm("vm2", U1))); // the arrival's entry, not claimed yet
        String refused = assertThrows(DomainException.class, () -> definitions.define(vm("vm2", U1))).getMessage();
        assertTrue(refused, refused.startsWith("operation failed: domain 'vm2' cannot be given UUID " + U1
                + ": the definition of 'vm1' that migration m1 brought is staged for it"));
        assertEquals(Optional.empty(), entries.find("vm2"));
        assertFalse(Files.exists(host.file("domains", "vm2.xml")));
    }

    /** An entry with neither a definition nor a VM (an arrival's, before its migration claims it) is not started. */
    @Test
    public void aStartOfAnEntryWithoutADefinitionIsRefusedNamingIt() throws Exception {
        host.manager.migrating().incoming(host.manager.parse(vm("arriving", U1)));
        assertEquals("Requested operation is not valid: domain 'arriving' has no persistent definition to start",
                assertThrows(DomainException.class, () -> host.manager.start("arriving")).getMessage());
    }

    @Test
    public void aStartTheDriverFailsGivesBackTheLeaseAndTheRunDirectory() throws Exception {
        host.manager.define(vm("unlucky", U1));
        host.driver.failBoot = "No space left on device";
        DomainException e = assertThrows(DomainException.class, () -> host.manager.start("unlucky"));
        assertEquals("No space left on device", e.getMessage());
        assertEquals(Set.of(), host.locks.held);
        assertFalse(Files.exists(host.file("run", U1.toString())));
        assertEquals(DomainState.SHUTOFF, host.manager.get("unlucky").state());

        host.driver.failBoot = null;
        host.manager.start("unlucky");
        assertEquals(DomainState.RUNNING, host.manager.get("unlucky").state());
        assertEquals(Set.of("unlucky"), host.locks.held);
    }

    @Test
    public void aStartWhoseStatusCannotBeWrittenStopsTheVmAgain() throws Exception {
        host.manager.define(vm("stillborn", U1));
        Path status = host.file("status", "stillborn.xml");
        Files.createDirectories(status.resolve("in-the-way"));
        DomainException e = assertThrows(DomainException.class, () -> host.manager.start("stillborn"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("start of domain stillborn failed: cannot write " + status + ": "));
        Domain domain = host.manager.get("stillborn");
        assertEquals(DomainState.SHUTOFF, domain.state());
        assertEquals(null, domain.vm());
        assertEquals(Set.of(), host.locks.held);
        assertFalse("the VM is gone with its run directory", Files.exists(host.file("run", U1.toString())));
    }

    @Test
    public void aFailedStartWhoseVmCannotBeStoppedKeepsTheDomainActiveWithItsLeases() throws Exception {
        host.manager.define(vm("stuck", U1));
        Path status = host.file("status", "stuck.xml");
        Files.createDirectories(status.resolve("in-the-way"));
        host.driver.unkillable = true; // its QEMU hangs on its storage: SIGKILL does not end it
        DomainException e = assertThrows(DomainException.class, () -> host.manager.start("stuck"));
        assertEquals("the leases of a VM that may still write its disks", Set.of("stuck"), host.locks.held);
        assertTrue(e.getMessage(), e.getMessage().startsWith("start of domain stuck failed: cannot write " + status + ": "));
        assertTrue(e.getMessage(), e.getMessage().endsWith("; and VM of domain 'stuck' did not die"));
        assertTrue(Files.exists(host.file("run", U1.toString(), "vm")));
        Domain domain = host.manager.get("stuck");
        assertTrue(domain.state().display(), domain.isActive());
        assertEquals("Requested operation is not valid: domain is already running",
                assertThrows(DomainException.class, () -> host.manager.start("stuck")).getMessage());

        assertEquals("VM of domain 'stuck' did not die",
                assertThrows(DomainException.class, () -> host.manager.destroy("stuck")).getMessage());
        assertEquals(Set.of("stuck"), host.locks.held);
        host.driver.unkillable = false; // it died at last
        Files.delete(status.resolve("in-the-way"));
        Files.delete(status);
        host.manager.destroy("stuck");
        assertEquals(DomainState.SHUTOFF, domain.state());
        assertEquals(Set.of(), host.locks.held);
    }

    /**
     * A daemon killed in a start after it spawned the VM and before it wrote the status: restarted, it finds the domain
     * shut off while that VM runs on, which its driver does not drive and refuses the next start for. That refusal
     * undid the start as one that left nothing: it deleted the running VM's run files and gave back its leases, and
     * another host that defines the domain could start it on the same disks.
     */
    @Test
    public void aStartRefusedWhileAVmOfTheDomainRunsUndrivenKeepsItsLeasesAndRunDirectory() throws Exception {
        host.manager.define(vm("orphan", U1));
        host.manager.start("orphan");
        Files.delete(host.file("status", "orphan.xml")); // the daemon was killed before it wrote it
        host.restart();
        Domain domain = host.manager.get("orphan");
        assertEquals(DomainState.SHUTOFF, domain.state());
        host.driver.strayVm = "QEMU process 4242 that RUN/qemu.started records still runs, not driven by this daemon:"
                + " stop it first";

        DomainException e = assertThrows(DomainException.class, () -> host.manager.start("orphan"));

        assertEquals("the leases of the VM that runs on", Set.of("orphan"), host.locks.held);
        assertTrue("its run files", Files.exists(host.file("run", U1.toString(), "vm")));
        assertEquals(host.driver.strayVm + "; the leases of domain orphan and its run directory stay this host's while"
                + " that VM runs", e.getMessage());
        assertEquals(DomainState.SHUTOFF, domain.state());
        assertFalse("in hand for a domain shut off, they would stand for those of whatever it is defined as next",
                host.manager.leases().holds("orphan"));

        host.driver.strayVm = null; // its operator stopped it
        host.manager.start("orphan");
        assertEquals(DomainState.RUNNING, domain.state());
        host.manager.destroy("orphan");
        assertEquals(Set.of(), host.locks.held);
    }

    @Test
    public void aDefinitionOneLevelBelowTheLimitRunsOnAfterARestartAndOneDeeperIsRefused() throws Exception {
        assertEquals("domain definition nests 64 elements deep, over the limit of 63 (the status file, snapshots and "
                + "migration cookies that carry it add a level, and cookieMaxDepth is 64)",
                assertThrows(DomainException.class, () -> host.manager.define(vm("deeper", U2, 64))).getMessage());
        assertEquals(List.of(), listed());

        host.manager.define(vm("deep", U1, 63));
        host.manager.start("deep");
        host.restart();
        assertEquals(DomainState.RUNNING, host.manager.get("deep").state());
        assertEquals(List.of("deep"), host.driver.reattached);
    }

    /**
     * A status is written without a sync, so a power cut may leave it empty or NUL bytes: its domain was unreadable at
     * every start, every job refused (start too, though its VM had died with the host) until an operator removed it.
     */
    @Test
    public void aStatusAPowerCutEmptiedHasItsVmLookedForByTheDefinition() throws Exception {
        host.manager.define(vm("rebooted", U1));
        host.manager.start("rebooted");
        host.manager.define(vm("survivor", U2));
        host.manager.start("survivor");
        Files.write(host.file("status", "rebooted.xml"), new byte[0]);
        Files.write(host.file("status", "survivor.xml"), new byte[300]);
        Files.delete(host.file("run", U1.toString(), "vm")); // its VM died with the host
        host.restart();

        assertEquals("its VM is gone: shut off", DomainState.SHUTOFF, host.manager.get("rebooted").state());
        assertEquals(null, host.manager.get("rebooted").problem());
        assertFalse(Files.exists(host.file("status", "rebooted.xml")));
        assertTrue("what its VM held is unknown: its leases stay this host's", host.locks.held.contains("rebooted"));
        assertEquals("its VM is found and re-attached", DomainState.RUNNING, host.manager.get("survivor").state());
        assertTrue(host.manager.get("survivor").vm() != null);

        host.manager.start("rebooted");
        assertEquals(DomainState.RUNNING, host.manager.get("rebooted").state());
    }

    /** A transient domain's definition was in its status alone: emptied, nothing is known to look for its VM by. */
    @Test
    public void anEmptiedStatusOfATransientDomainKeepsItUnreadable() throws Exception {
        Files.createDirectories(host.file("status"));
        Files.write(host.file("status", "drifter.xml"), new byte[0]);
        host.restart();
        Domain drifter = host.manager.get("drifter");
        assertEquals(DomainState.UNREADABLE, drifter.state());
        assertTrue(drifter.problem(), drifter.problem().contains("emptied, as a power cut leaves a status written without a sync"));
    }

    @Test
    public void anUnreadableStatusKeepsItsDomainListedAndUntouchedAndRefusesEveryJob() throws Exception {
        host.manager.define(vm("keeper", U1));
        host.manager.start("keeper");
        Path status = host.file("status", "keeper.xml");
        Path vm = host.file("run", U1.toString(), "vm");
        Files.writeString(status, "<domstatus state='running' reason='booted'>"); // cut short
        // a transient domain, known by its status alone
        Path drifter = host.file("status", "drifter.xml");
        Files.writeString(drifter, "<domstatus state='running' reason='booted'><domain type='sim'><name>drifter</name><uuid>"
                + U2 + "</uuid>\u0001");
        host.restart();

        Domain keeper = host.manager.get("keeper");
        assertEquals(DomainState.UNREADABLE, keeper.state());
        assertTrue(keeper.problem(), keeper.problem().startsWith("cannot read " + status + ": malformed domain status"));
        assertTrue("still listed, as active", keeper.isActive());
        assertEquals(List.of("drifter", "keeper"), listed());
        assertEquals(U2, host.manager.get("drifter").uuid());
        assertEquals("the driver was not asked to re-attach what cannot be read", List.of(), host.driver.reattached);

        String refused = "Requested operation is not valid: domain 'keeper' is unreadable: cannot read " + status;
        for (DomainManager.Job<?> job : List.<DomainManager.Job<?>>of(() -> host.manager.start("keeper"),
                () -> { host.manager.destroy("keeper"); return null; }, () -> { host.manager.undefine("keeper"); return null; },
                () -> host.manager.define(vm("keeper", U1)))) {
            DomainException e = assertThrows(DomainException.class, job::run);
            assertTrue(e.getMessage(), e.getMessage().startsWith(refused));
        }
        assertEquals("operation failed: domain 'drifter' is already defined with uuid " + U2,
                assertThrows(DomainException.class, () -> host.manager.define(vm("newcomer", U2))).getMessage());

        assertEquals("<domstatus state='running' reason='booted'>", Files.readString(status));
        assertEquals("keeper", Files.readString(vm));
        assertTrue(Files.exists(host.file("domains", "keeper.xml")));
        assertTrue(Files.exists(drifter));
    }

    /**
     * A restarted daemon whose driver cannot re-attach a VM (a QEMU that did not answer its monitor in time): the VM
     * may still run, so the domain refuses every job, destroy included (which would delete its monitor socket and
     * pidfile, and free its leases, while it ran on), and start most of all (a second VM of it beside the first).
     */
    @Test
    public void aVmThatCouldNotBeReattachedIsNeitherForgottenNorBootedTwice() throws Exception {
        host.manager.define(vm("hung", UUID.fromString("00000000-0000-4000-8000-0000000000a1")));
        host.manager.start("hung");
        Path vm = host.file("run", "00000000-0000-4000-8000-0000000000a1", "vm");
        host.driver.failReattach = "QEMU did not answer the QMP greeting in time";
        host.restart();
        host.driver.failReattach = null;

        DomainException destroy = assertThrows(DomainException.class, () -> host.manager.destroy("hung"));
        assertThrows(DomainException.class, () -> host.manager.start("hung"));

        assertTrue(destroy.getMessage(), destroy.getMessage().contains("its VM could not be re-attached (QEMU did not answer"
                + " the QMP greeting in time) and may still run"));
        assertTrue("its run directory is kept", Files.exists(vm));
        assertEquals(DomainState.UNREADABLE, host.manager.get("hung").state());
        host.restart(); // the next restart re-attaches it
        assertEquals(DomainState.RUNNING, host.manager.get("hung").state());
    }

    /**
     * A VM gone with its host (a reboot): its leases, still this host's in the lease store though the restarted
     * daemon does not hold them, are given back as its domain is shut off; otherwise no host could start it again.
     */
    @Test
    public void aVmGoneWithItsHostGivesBackItsLeases() throws Exception {
        host.manager.define(vm("lost", U1));
        host.manager.start("lost");
        assertEquals(Set.of("lost"), host.locks.held);
        Files.delete(host.file("run", U1.toString(), "vm")); // the host rebooted: the VM is gone

        host.restart();

        assertEquals(DomainState.SHUTOFF, host.manager.get("lost").state());
        assertEquals("given back", Set.of(), host.locks.held);
    }

    /**
     * A restarted daemon answers before its driver came and re-attached the VMs the status files name: a destroy then
     * deleted a running VM's status, pidfile and monitor socket and reported it destroyed; the driver, once there,
     * found the domain shut off and left its VM running unseen, and a start booted a second VM on the same disks.
     */
    @Test
    public void aDestroyBeforeTheDriverReattachedTheVmIsRefusedAndChangesNothing() throws Exception {
        UUID uuid = UUID.fromString("00000000-0000-4000-8000-0000000000a2");
        host.manager.define(vm("early", uuid));
        host.manager.start("early");
        Path vm = host.file("run", uuid.toString(), "vm");
        host.restartWithoutItsDriver();

        DomainException destroy = assertThrows(DomainException.class, () -> host.manager.destroy("early"));

        assertEquals("Requested operation is not valid: the VM of domain 'early' has not been re-attached since the"
                + " daemon's start (its driver, for domain type 'sim', is not there yet) and may still run: try again"
                + " once it is", destroy.getMessage());
        assertTrue("its run directory is kept", Files.exists(vm));
        host.registerDriver();
        assertEquals(DomainState.RUNNING, host.manager.get("early").state());
        host.manager.destroy("early");
        assertEquals(DomainState.SHUTOFF, host.manager.get("early").state());
    }
}
