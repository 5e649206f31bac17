package io.ferry.driver.qemu;

import java.nio.file.Path;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

/**
 * Tests of real QEMUs between a source and a destination driver, their VMs gone after each. The destination keeps its
 * QEMU logs apart, as another host would: one log for both QEMUs of a domain gave the source's failures the destination's
 * last words.
 */
public abstract class TwoQemuDrivers {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    Path state;
    QemuDriver source;
    QemuDriver destination;

    @Before
    public void setUpDrivers() throws Exception {
        state = tmp.newFolder("state").toPath();
        source = new QemuDriver("qemu", Guests.settings(state, 2000));
        destination = new QemuDriver("qemu", Guests.settings(state.resolve("destination"), 2000));
    }

    @After
    public void destroyTheirVms() {
        source.vms().forEach(QemuVirtualMachine::destroy);
        destination.vms().forEach(QemuVirtualMachine::destroy);
    }
}
