package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import io.ferry.core.TestDirectories;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.Test;

/** Which disks hold leases, and under which name: the file a guest may write, however its path is spelt. */
public class DiskLeasesTest {
    private static final List<String> SPELLINGS = List.of("/disks//vm1.img", "/disks/./vm1.img", "/disks/x/../vm1.img",
            "//disks/vm1.img", "/disks/vm1.img/");

    /**
     * "/disks//vm1.img" is "/disks/vm1.img". Leased as spelt, a second domain given the same disk under another
     * spelling started beside the first, on its host or another, and both wrote the disk.
     */
    @Test
    public void aDiskSpeltAnotherWayIsTheSameLease() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.source.boot("vm1");
        for (String spelling : SPELLINGS) {
            String other = TestHost.definition("vm2").replace("/disks/vm2.img", spelling);
            for (TestHost host : List.of(d.source, d.destination)) {
                host.domains().define(other);
                DomainException e = assertThrows(spelling, DomainException.class, () -> host.domains().start("vm2"));
                assertTrue(e.getMessage(), e.getMessage().startsWith("Failed to acquire lock: resource /disks/vm1.img is held"
                        + " by source ("));
                assertTrue(e.getMessage(), e.getMessage().endsWith(") for domain vm1"));
                assertEquals(DomainState.SHUTOFF, host.domain("vm2").orElseThrow().state());
            }
        }
    }

    /**
     * A domain whose disk is spelt otherwise migrates, and its leases go with it: the file's name, and the spelling's,
     * which a build before normal names (the definition a --persistent migration left on such a host) requests.
     */
    @Test
    public void aDiskSpeltOtherwiseTakesItsLeaseAlong() throws Exception {
        Path leases = TestDirectories.create("ferry-domain-leases");
        TwoDaemons d = runningOnTheSource(leases, "/disks/./vm1.img");
        String digest = d.source.digest("vm1");

        d.migrate("vm1", TwoDaemons.PERSISTENT_UNDEFINE_SOURCE);

        assertEquals(DomainState.RUNNING, d.destination.domain("vm1").orElseThrow().state());
        assertEquals(digest, d.destination.digest("vm1"));
        d.source.domains().define(TestHost.definition("vm2").replace("/disks/vm2.img", "/disks/vm1.img"));
        DomainException e = assertThrows(DomainException.class, () -> d.source.domains().start("vm2"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("Failed to acquire lock: resource /disks/vm1.img is held by"
                + " destination ("));
        LockException earlier = assertThrows(LockException.class, () -> earlierBuild(leases, "/disks/./vm1.img"));
        assertTrue(earlier.getMessage(), earlier.getMessage().startsWith("resource /disks/./vm1.img is held by"
                + " destination ("));
    }

    /**
     * A host of a build before normal names (87ad4d9) leases a disk as spelt: its guest holds /disks//vm1.img alone.
     * This build's start of the same guest (the definition a live --persistent migration left behind, or a journal's
     * resume) took /disks/vm1.img and the domain's lease, both free, and ran it beside the other host's.
     */
    @Test
    public void aDiskSpeltOtherwiseIsRefusedWhileAnEarlierBuildHoldsItsSpelling() throws Exception {
        Path leases = TestDirectories.create("ferry-domain-leases");
        TwoDaemons d = TwoDaemons.withFileLeases(leases);
        earlierBuild(leases, "/disks//vm1.img");
        defineSpelt(d.destination, "/disks//vm1.img");

        DomainException e = assertThrows(DomainException.class, () -> d.destination.domains().start("vm1"));

        assertTrue(e.getMessage(), e.getMessage().startsWith("Failed to acquire lock: resource /disks//vm1.img is held"
                + " by earlier ("));
        assertEquals(DomainState.SHUTOFF, d.destination.domain("vm1").orElseThrow().state());
    }

    /** The other way: this build's guest holds its disk's spelling too, which the earlier build's start is refused. */
    @Test
    public void anEarlierBuildsStartIsRefusedWhileThisBuildRunsTheDiskSpeltOtherwise() throws Exception {
        Path leases = TestDirectories.create("ferry-domain-leases");
        TwoDaemons d = runningOnTheSource(leases, "/disks//vm1.img");

        LockException e = assertThrows(LockException.class, () -> earlierBuild(leases, "/disks//vm1.img"));

        assertTrue(e.getMessage(), e.getMessage().startsWith("resource /disks//vm1.img is held by source ("));
        d.source.domains().destroy("vm1"); // given back with the others
        earlierBuild(leases, "/disks//vm1.img");
    }

    /** A disk spelt in normal form holds its one lease, beside the domain's, as before. */
    @Test
    public void aDiskInNormalFormHoldsOneLease() throws Exception {
        Path leases = TestDirectories.create("ferry-domain-leases");
        TwoDaemons d = TwoDaemons.withFileLeases(leases);
        d.source.boot("vm1");
        try (Stream<Path> files = Files.list(leases)) {
            assertEquals(2, files.filter(file -> file.toString().endsWith(".lease")).count());
        }
    }

    /** Defines vm1 on {@code host} with its disk spelt {@code spelling}. */
    private static void defineSpelt(TestHost host, String spelling) throws Exception {
        host.domains().define(TestHost.definition("vm1").replace("/disks/vm1.img", spelling));
    }

    /** Two daemons on {@code leases}, the source running vm1 with its disk spelt {@code spelling}. */
    private static TwoDaemons runningOnTheSource(Path leases, String spelling) throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases(leases);
        defineSpelt(d.source, spelling);
        d.source.domains().start("vm1");
        return d;
    }

    /** The acquire of a host of a build before normal names, for vm1 as this test's hosts define it. */
    private static void earlierBuild(Path leases, String disk) throws LockException {
        LockManager manager = TwoDaemons.fileLockManager(leases);
        manager.acquire(new LeaseRequest("vm1", TestHost.uuid("vm1"), List.of(disk), "earlier", UUID.randomUUID()),
                null);
    }

    /** A disk without a source (an empty drive) holds no lease: leased as "", every such disk was one resource. */
    @Test
    public void aDiskWithoutASourceHoldsNoLease() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        for (String guest : List.of("vm1", "vm2")) {
            d.source.domains().define(TestHost.definition(guest).replace("</devices>",
                    "<disk type='file'><source/><target dev='vdb'/></disk></devices>"));
            d.source.domains().start(guest);
            assertEquals(DomainState.RUNNING, d.source.domain(guest).orElseThrow().state());
        }
    }

    /**
     * A read-only disk (an installation image, a shared base) holds no lease, as libvirt's lock managers take none:
     * guests on both hosts attach it, and one migrates to where the other runs. Leased, the second guest's start was
     * refused, and so was the migration's Finish (the guest went back to its source).
     */
    @Test
    public void aReadOnlyDiskIsSharedByGuestsOnAnyHost() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        String image = "<disk type='file'><source file='/images/install.iso'/><target dev='vdb'/><readonly/></disk>";
        for (String guest : List.of("vm1", "vm2")) {
            String definition = TestHost.definition(guest).replace("</devices>", image + "</devices>");
            TestHost host = guest.equals("vm1") ? d.source : d.destination;
            host.domains().define(definition);
            host.domains().start(guest);
        }
        d.source.domains().define(TestHost.definition("vm3").replace("</devices>", image + "</devices>"));
        d.source.domains().start("vm3");
        String digest = d.source.digest("vm1");

        d.migrate("vm1", TwoDaemons.PERSISTENT_UNDEFINE_SOURCE);

        assertEquals(DomainState.RUNNING, d.destination.domain("vm1").orElseThrow().state());
        assertEquals(digest, d.destination.digest("vm1"));
        assertEquals(DomainState.RUNNING, d.destination.domain("vm2").orElseThrow().state());
        assertEquals(DomainState.RUNNING, d.source.domain("vm3").orElseThrow().state());
    }
}
