package io.ferry.plugin.ovs;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.testkit.Fragments;
import io.ferry.testkit.TestSectionContext;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What the network section reads from and writes to OVSDB, against a fake ovs-vsctl. */
public class PortDataTransferTest {
    private static final UUID UUID_ = UUID.fromString("dcf47dbd-46d1-4d5b-b442-262a806a333a");
    private static final String DB = "--db=unix:/run/test.sock --no-wait --timeout=5 ";
    private static final String FIND = "-- --columns=name,_uuid,external_ids find Interface ";

    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();
    private FakeOvsVsctl ovs;

    @Before
    public void setUp() throws IOException {
        ovs = new FakeOvsVsctl(folder.getRoot().toPath());
    }

    private static DomainSpec domain(DomainSpec.Nic... nics) {
        return new DomainSpec("vm", UUID_, "sim", 16384, 1, List.of(), List.of(nics), List.of(), "<domain/>");
    }

    /** Interface {@code name} of the domain's VM as ovs-vsctl lists it, {@code portData} as printed (null: none). */
    private static String row(String name, String portData) {
        return FakeOvsVsctl.row(name, UUID_, portData);
    }

    /** The domain's VM on this host, running by {@code spec}. */
    private static VirtualMachine running(DomainSpec spec) {
        return (VirtualMachine) Proxy.newProxyInstance(PortDataTransferTest.class.getClassLoader(),
                new Class<?>[] {VirtualMachine.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "spec" -> spec;
                    case "capability" -> Optional.empty();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** Perform's context on the source of a live migration: the definition, and the paused VM running by it. */
    private static TestSectionContext performing(DomainSpec spec) {
        return new TestSectionContext().domain(spec).vm(running(spec));
    }

    /** Finish's context on the destination of a live migration: the definition, and the incoming VM running by it. */
    private static TestSectionContext arrived(DomainSpec spec) {
        return new TestSectionContext().domain(spec).vm(running(spec));
    }

    private static final DomainSpec.Nic OVS0 = new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", null);
    private static final DomainSpec.Nic PLAIN1 = new DomainSpec.Nic(1, "bridge", null, "br1", null, null);
    private static final DomainSpec.Nic MIDONET2 = new DomainSpec.Nic(2, "ethernet", null, null, "midonet", "tap7");

    @Test
    public void bakeReadsPortDataOfOvsNicsOnlyAndListsOtherVirtualPorts() throws Exception {
        ovs.answer(row("fedcf47dbdn0", "\"key=value, other\""));
        Optional<PortData> baked = new NetworkSection(ovs.db()).bake(performing(domain(OVS0, PLAIN1, MIDONET2)));
        assertEquals(Optional.of(new PortData(List.of(new PortData.Interface(0, "openvswitch", "\"key=value, other\""),
                new PortData.Interface(2, "midonet", null)))), baked);
        assertEquals(List.of(DB + FIND + "name=\"fedcf47dbdn0\""), ovs.calls());
    }

    @Test
    public void bakeReadsTheRunningVmsInterfaceNotTheDestinationDefinitions() throws Exception {
        DomainSpec renamedForDestination = domain(new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", "vnet-dst"));
        TestSectionContext context = new TestSectionContext().domain(renamedForDestination);
        context.vm(running(domain(new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", "vnet-src"))));
        ovs.answer(row("vnet-src", "p"));
        new NetworkSection(ovs.db()).bake(context);
        assertEquals(List.of(DB + FIND + "name=\"vnet-src\""), ovs.calls());
    }

    @Test
    public void bakeWithoutVirtualPortsOrDomainHasNothingToSay() throws Exception {
        NetworkSection section = new NetworkSection(ovs.db());
        assertEquals(Optional.empty(), section.bake(performing(domain(PLAIN1))));
        assertEquals(Optional.empty(), section.bake(new TestSectionContext()));
        assertEquals(List.of(), ovs.calls());
    }

    /**
     * At the source's Perform of an offline migration of an inactive domain there is no VM, and the definition is the
     * destination's (--xml may rename its interfaces): a NIC named vnet-b there is a running VM's port, whose port data
     * must not go into the cookie to the peer and the command line's user. libvirt relocates port data only live.
     */
    @Test
    public void withoutTheDomainsVmHereNoPortDataIsRead() throws Exception {
        DomainSpec.Nic othersPort = new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", "vnet-b");
        TestSectionContext offline = new TestSectionContext().domain(domain(othersPort, MIDONET2));
        ovs.answer(row("vnet-b", "\"another VM's\""));
        Optional<PortData> baked = new NetworkSection(ovs.db()).bake(offline);
        assertEquals("ovs-vsctl runs", List.of(), ovs.calls());
        assertEquals(Optional.empty(), baked);
    }

    /** A check ({@code ferry cookie bake --domain-xml}) has no VM either: the definition's NICs, no port data read. */
    @Test
    public void aCheckReadsNoPortDataAndSaysWhatItWould() throws Exception {
        DomainSpec.Nic othersPort = new DomainSpec.Nic(1, "bridge", null, "br0", "openvswitch", "vnet-b");
        TestSectionContext check = new TestSectionContext().domain(domain(OVS0, othersPort, MIDONET2)).checkOnly();
        assertEquals(Optional.of(new PortData(List.of(new PortData.Interface(0, "openvswitch", null),
                new PortData.Interface(1, "openvswitch", null), new PortData.Interface(2, "midonet", null)))),
                new NetworkSection(ovs.db()).bake(check));
        assertEquals("OVSDB not even asked", List.of(), ovs.calls());
        assertEquals(List.of("read the port data of fedcf47dbdn0, vnet-b in unix:/run/test.sock"), check.wouldDo);
        assertEquals(List.of(), check.warn);
    }

    /** Port data past ovs-vsctl's output limit is not carried cut short: the NIC goes without it, with a warning. */
    @Test
    public void portDataLongerThanTheOutputLimitIsNotCutShort() throws Exception {
        TestSectionContext context = performing(domain(OVS0));
        ovs.answer(row("fedcf47dbdn0", "\"" + "k=v,".repeat(20_000) + "\""));
        assertEquals(Optional.of(new PortData(List.of(new PortData.Interface(0, "openvswitch", null)))),
                new NetworkSection(ovs.db()).bake(context));
        assertEquals(1, context.warn.size());
        assertTrue(context.warn.get(0), context.warn.get(0).contains("the port data of fedcf47dbdn0 is longer than 65536 bytes"));
    }

    @Test
    public void noPortDataOrNoOvsOrAFailingOvsdbBakesTheNicWithoutData() throws Exception {
        TestSectionContext context = performing(domain(OVS0));
        PortData none = new PortData(List.of(new PortData.Interface(0, "openvswitch", null)));
        ovs.answer(row("fedcf47dbdn0", null));
        assertEquals(Optional.of(none), new NetworkSection(ovs.db()).bake(context));
        assertEquals(Optional.of(none), new NetworkSection().bake(context));
        ovs.fail("ovs-vsctl: unix:/run/test.sock: database connection failed (No such file or directory)\n");
        assertEquals(Optional.of(none), new NetworkSection(ovs.db()).bake(context));
        assertEquals(2, context.warn.size());
        assertEquals("no OVSDB configured on this host: the port data of fedcf47dbdn0 stays behind", context.warn.get(0));
        assertTrue(context.warn.get(1), context.warn.get(1).contains("database connection failed"));
    }

    @Test
    public void eatWritesPortDataOnTheInterfaceOfTheSameIndex() throws Exception {
        DomainSpec.Nic renamed = new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", "vnet-dst");
        TestSectionContext context = arrived(domain(renamed, PLAIN1, MIDONET2));
        ovs.answer(row("vnet-dst", null));
        new NetworkSection(ovs.db()).eat(context, new PortData(List.of(new PortData.Interface(0, "openvswitch", "\"a b\""),
                new PortData.Interface(2, "midonet", null))));
        assertEquals(List.of(DB + FIND + "name=\"vnet-dst\"", DB + "-- set Interface " + FakeOvsVsctl.uuidOf("vnet-dst")
                + " external_ids:PortData=\"a b\""), ovs.calls());
        assertEquals(List.of(), context.warn);
    }

    /**
     * The guest is paused while port data is read (Perform) and written (Finish): one run to read, two to write (the
     * rows found, then set by their _uuid), whatever the NICs.
     */
    @Test
    public void thePortDataOfEveryNicIsReadInOneRunAndWrittenInTwo() throws Exception {
        DomainSpec.Nic ovs1 = new DomainSpec.Nic(1, "bridge", null, "br0", "openvswitch", "vnet-b");
        DomainSpec.Nic ovs2 = new DomainSpec.Nic(2, "bridge", null, "br0", "openvswitch", "vnet-c");
        ovs.answer(row("fedcf47dbdn0", "x"), row("vnet-c", "\"z w\"")); // vnet-b is absent
        Optional<PortData> baked = new NetworkSection(ovs.db()).bake(performing(domain(OVS0, ovs1, ovs2)));
        assertEquals(Optional.of(new PortData(List.of(new PortData.Interface(0, "openvswitch", "x"),
                new PortData.Interface(1, "openvswitch", null), new PortData.Interface(2, "openvswitch", "\"z w\"")))), baked);
        assertEquals(List.of(DB + FIND + "name=\"fedcf47dbdn0\" " + FIND + "name=\"vnet-b\" " + FIND
                + "name=\"vnet-c\""), ovs.calls());

        TestSectionContext context = arrived(domain(OVS0, ovs1, ovs2));
        new NetworkSection(ovs.db()).eat(context, baked.get());
        assertEquals(List.of(DB + FIND + "name=\"fedcf47dbdn0\" " + FIND + "name=\"vnet-c\"",
                DB + "-- set Interface " + FakeOvsVsctl.uuidOf("fedcf47dbdn0") + " external_ids:PortData=x"
                        + " -- set Interface " + FakeOvsVsctl.uuidOf("vnet-c") + " external_ids:PortData=\"z w\""),
                ovs.calls().subList(1, 3));
        assertEquals(List.of("port data of interface 0 written on fedcf47dbdn0", "port data of interface 2 written on vnet-c"),
                context.info);
    }

    /**
     * A JVM passes a command's arguments in the encoding of its locale, ASCII under LANG=C (ferryd's unit sets none):
     * port data past ASCII goes quoted, with JSON's escapes for it, which ovs-vsctl reads back as the characters.
     */
    @Test
    public void portDataPastAsciiIsWrittenAsEscapes() throws Exception {
        DomainSpec.Nic ovs1 = new DomainSpec.Nic(1, "bridge", null, "br0", "openvswitch", "vnet-b");
        DomainSpec.Nic ovs2 = new DomainSpec.Nic(2, "bridge", null, "br0", "openvswitch", "vnet-c");
        ovs.answer(row("fedcf47dbdn0", null), row("vnet-b", null), row("vnet-c", null));
        TestSectionContext context = arrived(domain(OVS0, ovs1, ovs2));
        new NetworkSection(ovs.db()).eat(context, new PortData(List.of(
                new PortData.Interface(0, "openvswitch", "\"Z\u00fcrich \\\"\u00e9t\u00e9\\\"\""), // as printed
                new PortData.Interface(1, "openvswitch", "Z\u00fcrich \"\\x"), // bare: quoted first
                new PortData.Interface(2, "openvswitch", "\"\ud83d\ude00\""))));
        assertEquals(List.of(DB + "-- set Interface " + FakeOvsVsctl.uuidOf("fedcf47dbdn0")
                + " external_ids:PortData=\"Z\\u00fcrich \\\"\\u00e9t\\u00e9\\\"\" -- set Interface "
                + FakeOvsVsctl.uuidOf("vnet-b") + " external_ids:PortData=\"Z\\u00fcrich \\\"\\\\x\" -- set Interface "
                + FakeOvsVsctl.uuidOf("vnet-c") + " external_ids:PortData=\"\\ud83d\\ude00\""),
                ovs.calls().subList(1, 2));
        assertEquals(List.of(), context.warn);
    }

    @Test
    public void aCookieNamingOneNicOverAndOverRunsNoOvsVsctl() throws Exception {
        NetworkSection section = new NetworkSection(ovs.db());
        String fragment = "<network>" + "<interface index='0' vporttype='openvswitch'><portdata>p</portdata></interface>".repeat(100)
                + "</network>";
        try {
            section.eat(arrived(domain(OVS0)), section.parse(Fragments.parse(fragment)));
        } catch (CookieException refused) {
            // refused whole, as it should be
        }
        assertEquals("ovs-vsctl runs", 0, ovs.calls().size());
    }

    /**
     * A source reads the port data of all its NICs in one ovs-vsctl run, whose output is kept up to 64 KiB: a cookie
     * that carries more is no source's reading, and a peer's megabytes would go into this host's OVSDB, which every
     * OVSDB client of the host (ovs-vswitchd, a controller) holds a copy of.
     */
    @Test
    public void portDataBeyondWhatASourceCanReadIsNotWritten() throws Exception {
        DomainSpec.Nic ovs1 = new DomainSpec.Nic(1, "bridge", null, "br0", "openvswitch", "vnet-b");
        TestSectionContext context = arrived(domain(OVS0, ovs1));
        String half = "p".repeat(ProcessRunner.OUTPUT_LIMIT / 2 + 1);
        new NetworkSection(ovs.db()).eat(context, new PortData(List.of(new PortData.Interface(0, "openvswitch", half),
                new PortData.Interface(1, "openvswitch", half))));
        assertEquals("ovs-vsctl runs", 0, ovs.calls().size());
        assertEquals(List.of("the cookie carries 65538 characters of port data, more than a source reads (65536): none of"
                + " it is written"), context.warn);
    }

    /**
     * An offline migration has no VM here, so no port of its own: its definition's NIC names a port that is another
     * VM's or nobody's (vnet-b, a running VM's), and a peer's port data must not be written there. libvirt relocates
     * port data only for a VM that arrived live.
     */
    @Test
    public void withoutTheDomainsVmHereNoPortDataIsWritten() throws Exception {
        DomainSpec.Nic othersPort = new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", "vnet-b");
        TestSectionContext offline = new TestSectionContext().domain(domain(othersPort));
        new NetworkSection(ovs.db()).eat(offline, new PortData(List.of(new PortData.Interface(0, "openvswitch", "evil"))));
        assertEquals("ovs-vsctl runs", List.of(), ovs.calls());
        assertEquals(List.of("domain vm has no VM on this host: the port data of its interfaces is dropped"), offline.warn);
    }

    @Test
    public void aCheckWritesNoPortDataAndSaysWhereItWould() throws Exception {
        DomainSpec.Nic renamed = new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", "vnet-dst");
        TestSectionContext context = new TestSectionContext().domain(domain(renamed, PLAIN1)).checkOnly();
        new NetworkSection(ovs.db()).eat(context, new PortData(List.of(new PortData.Interface(0, "openvswitch", "\"a b\""),
                new PortData.Interface(1, "openvswitch", "y"))));
        assertEquals("OVSDB not even asked", List.of(), ovs.calls());
        assertEquals(List.of("write the port data of interface 0 on vnet-dst in unix:/run/test.sock"), context.wouldDo);
        assertEquals("what a migration would warn about, a check warns about too",
                List.of("interface 1 has no Open vSwitch port on this host: its port data is dropped"), context.warn);
    }

    @Test
    public void aDestinationWithoutOvsForTheNicWarnsAndGoesOn() throws Exception {
        PortData sent = new PortData(List.of(new PortData.Interface(0, "openvswitch", "x"), new PortData.Interface(1, "openvswitch", "y")));
        TestSectionContext noOvs = arrived(domain(OVS0, PLAIN1));
        new NetworkSection().eat(noOvs, sent);
        assertEquals(2, noOvs.warn.size());
        ovs.answer(row("fedcf47dbdn0", null));
        TestSectionContext plainSecondNic = arrived(domain(OVS0, PLAIN1));
        new NetworkSection(ovs.db()).eat(plainSecondNic, sent);
        assertEquals(1, plainSecondNic.warn.size());
        ovs.fail("ovs-vsctl: no row \"fedcf47dbdn0\" in table Interface\n");
        TestSectionContext refused = arrived(domain(OVS0));
        new NetworkSection(ovs.db()).eat(refused, sent);
        assertTrue(refused.warn.toString(), refused.warn.stream().anyMatch(warning -> warning.contains("no row")));
    }

    /**
     * An interface of the VM's name that is not its own (another VM's, one of no VM, as an operator's that took the
     * name of a port removed meanwhile) gives no port data to the peer, and takes none: nothing is set.
     */
    @Test
    public void anInterfaceThatIsNotTheVmsIsNeitherReadNorWritten() throws Exception {
        UUID another = UUID.fromString("0b1b2c3d-0000-4000-8000-000000000002");
        PortData none = new PortData(List.of(new PortData.Interface(0, "openvswitch", null)));
        PortData sent = new PortData(List.of(new PortData.Interface(0, "openvswitch", "peer's")));
        for (UUID owner : Arrays.asList(another, null)) {
            ovs.answer(FakeOvsVsctl.row("fedcf47dbdn0", owner, "\"theirs\""));
            assertEquals(Optional.of(none), new NetworkSection(ovs.db()).bake(performing(domain(OVS0))));
            TestSectionContext context = arrived(domain(OVS0));
            new NetworkSection(ovs.db()).eat(context, sent);
            assertEquals(List.of("unable to provide network data for relocation on fedcf47dbdn0: interface"
                    + " fedcf47dbdn0 is not the VM's: " + (owner == null ? "it has no external_ids:vm-uuid"
                            : "its external_ids:vm-uuid is " + owner)), context.warn);
        }
        assertEquals("finds only", List.of(), ovs.calls().stream().filter(call -> !call.contains(" find ")).toList());
    }

    /** An interface that is not there (its port removed meanwhile) has nothing set, nor does any other of the VM's. */
    @Test
    public void noPortDataIsSetWhenAnInterfaceIsNotThere() throws Exception {
        DomainSpec.Nic ovs1 = new DomainSpec.Nic(1, "bridge", null, "br0", "openvswitch", "cafe");
        ovs.answer(row("fedcf47dbdn0", null));
        TestSectionContext context = arrived(domain(OVS0, ovs1));
        new NetworkSection(ovs.db()).eat(context, new PortData(List.of(new PortData.Interface(0, "openvswitch", "x"),
                new PortData.Interface(1, "openvswitch", "y"))));
        assertEquals(List.of(DB + FIND + "name=\"fedcf47dbdn0\" " + FIND + "name=\"cafe\""), ovs.calls());
        assertEquals(List.of("unable to provide network data for relocation on fedcf47dbdn0, cafe: no interface cafe in"
                + " unix:/run/test.sock"), context.warn);
        assertEquals(List.of(), context.info);
    }

    @Test
    public void aMissingProgramIsAnIoError() {
        String nowhere = folder.getRoot().toPath().resolve("nowhere").toString();
        OvsDb missing = new OvsDb(FakeOvsVsctl.PROCESSES, nowhere, "unix:/x");
        IOException e = assertThrows(IOException.class, () -> missing.portData(UUID_, List.of("eth0")));
        assertEquals("cannot run " + nowhere + " --db=unix:/x --no-wait --timeout=5 " + FIND + "name=\"eth0\":"
                + " No such file or directory", e.getMessage());
    }
}
