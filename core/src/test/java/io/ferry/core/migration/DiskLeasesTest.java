package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import java.util.List;
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

    /** A domain whose disk is spelt otherwise migrates, and its lease goes with it under the file's name. */
    @Test
    public void aDiskSpeltOtherwiseTakesItsLeaseAlong() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.source.domains().define(TestHost.definition("vm1").replace("/disks/vm1.img", "/disks/./vm1.img"));
        d.source.domains().start("vm1");
        String digest = d.source.digest("vm1");

        d.migrate("vm1", TwoDaemons.PERSISTENT_UNDEFINE_SOURCE);

        assertEquals(DomainState.RUNNING, d.destination.domain("vm1").orElseThrow().state());
        assertEquals(digest, d.destination.digest("vm1"));
        d.source.domains().define(TestHost.definition("vm2").replace("/disks/vm2.img", "/disks/vm1.img"));
        DomainException e = assertThrows(DomainException.class, () -> d.source.domains().start("vm2"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("Failed to acquire lock: resource /disks/vm1.img is held by"
                + " destination ("));
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
