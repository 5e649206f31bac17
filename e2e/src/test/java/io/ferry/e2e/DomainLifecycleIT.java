package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/** A domain's life on one host through {@code bin/ferry}: define, start, dominfo, list, destroy, undefine. */
public class DomainLifecycleIT {
    private static DaemonProcess host;

    @BeforeClass
    public static void startDaemon() throws Exception {
        host = DaemonProcess.start("lifecycle");
        host.url();
    }

    @AfterClass
    public static void stopDaemon() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    @Test
    public void defineStartDestroyUndefine() throws Exception {
        SimDomain vm = SimDomain.idle("life-vm", 16);
        host.define(vm); // asserts "Domain 'life-vm' defined from FILE"
        assertEquals(Optional.of("shut off"), host.listedState(vm.name()));
        assertFalse("list without --all shows running domains only", host.ferryOk("list").out().contains(vm.name()));
        Map<String, String> defined = host.dominfo(vm.name());
        assertEquals(vm.uuid().toString(), defined.get("UUID"));
        assertTrue(defined.toString(), defined.get("State").startsWith("shut off"));
        assertEquals("yes", defined.get("Persistent"));
        assertFalse("an inactive domain has no memory: " + defined, defined.containsKey("Memory digest"));

        assertEquals("Domain 'life-vm' started\n", host.ferryOk("start", vm.name()).out());
        assertTrue(host.ferryOk("list").out().contains(vm.name()));
        Map<String, String> running = host.dominfo(vm.name());
        assertEquals("running (booted)", running.get("State"));
        assertEquals("sim", running.get("OS Type"));
        assertEquals("1", running.get("CPU(s)"));
        assertEquals("16384 KiB", running.get("Max memory"));
        assertTrue(running.toString(), running.get("Memory digest").matches("crc32c:[0-9a-f]{8}/\\d+"));
        assertEquals("an idle guest's memory does not change", running.get("Memory digest"), host.digest(vm.name()));

        assertError("Requested operation is not valid: domain is already running", host.ferry("start", vm.name()));
        assertEquals("Domain 'life-vm' destroyed\n", host.ferryOk("destroy", vm.name()).out());
        assertEquals(Optional.of("shut off"), host.listedState(vm.name()));
        assertError("Requested operation is not valid: domain is not running", host.ferry("destroy", vm.name()));

        assertEquals("Domain 'life-vm' has been undefined\n", host.ferryOk("undefine", vm.name()).out());
        assertEquals(Optional.empty(), host.listedState(vm.name()));
        assertError("Domain not found: no domain with matching name 'life-vm'", host.ferry("dominfo", vm.name()));
    }

    @Test
    public void aRunningDomainThatIsUndefinedGoesOnTransientUntilItStops() throws Exception {
        SimDomain vm = SimDomain.idle("transient-life-vm", 16);
        String digest = host.boot(vm);

        host.ferryOk("undefine", vm.name());

        Map<String, String> info = host.dominfo(vm.name());
        assertEquals("no", info.get("Persistent"));
        assertEquals("running (booted)", info.get("State"));
        assertEquals(digest, info.get("Memory digest"));
        assertError("Requested operation is not valid: cannot undefine transient domain", host.ferry("undefine", vm.name()));
        host.ferryOk("destroy", vm.name());
        assertEquals("a transient domain is gone once it stops", Optional.empty(), host.listedState(vm.name()));
    }

    @Test
    public void eachBootOfADefinitionStartsFromTheSameMemory() throws Exception {
        SimDomain vm = SimDomain.idle("reboot-vm", 16);
        String first = host.boot(vm);
        host.ferryOk("destroy", vm.name());
        host.ferryOk("start", vm.name());
        assertEquals(first, host.digest(vm.name()));
        String other = host.boot(SimDomain.idle("other-vm", 16));
        assertNotEquals("another UUID boots other memory", first, other);
    }

    @Test
    public void errorsAreOneLine() throws Exception {
        assertError("Domain not found: no domain with matching name 'nope'", host.ferry("dominfo", "nope"));
        assertError("Domain not found: no domain with matching name 'nope'", host.ferry("start", "nope"));

        Path malformed = Installation.file("malformed", ".xml", "<domain type='sim'><name>broken</name><memory>");
        Installation.Result result = host.ferry("define", malformed.toString());
        assertEquals(result.toString(), 1, result.exit());
        assertEquals("", result.out());
        assertTrue(result.err(), result.err().startsWith("error: ") && result.err().indexOf('\n') == result.err().length() - 1);
        assertFalse(result.err(), result.err().contains("Exception"));
        assertEquals(Optional.empty(), host.listedState("broken"));

        assertError("no such file: /nonexistent/domain.xml", host.ferry("define", "/nonexistent/domain.xml"));
    }

    private static void assertError(String message, Installation.Result result) {
        assertEquals(result.toString(), 1, result.exit());
        assertEquals(result.toString(), "error: " + message + "\n", result.err());
    }
}
