package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import io.ferry.launcher.QemuMonitor;
import java.nio.file.Files;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;

/**
 * A QEMU in uninterruptible sleep (a hung NFS server, a stuck device) outlives SIGKILL and may write the guest's disks
 * when it wakes. Held here for real: frozen in a cgroup v1 freezer group, where a SIGKILL stays pending until it is
 * thawed. Its destroy must fail, as libvirt's does ("Failed to terminate process N with SIGKILL: Device or resource
 * busy"), and leave the domain as it was; once the process really dies, the domain is shut off.
 */
public class QemuUnkillableIT {
    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();

    @Test
    public void aQemuThatOutlivesSigkillIsNotDestroyedAndShutOffOnceItDies() throws Exception {
        assumeTrue("needs root and the cgroup v1 freezer to hold a process unkillable", Freezer.available());
        QemuGuest guest = QemuGuest.idle("qemu-stuck", hosts.emulator);
        try {
            try (QemuMonitor monitor = guest.start(hosts.source)) {
                long pid = QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid();
                try (Freezer frozen = Freezer.freeze(pid)) {
                    Installation.Result destroy = hosts.source.ferry("destroy", guest.name());
                    assertEquals(destroy.toString(), 1, destroy.exit());
                    assertTrue(destroy.err(), destroy.err().contains("QEMU of domain 'qemu-stuck' (pid " + pid
                            + ") did not die after SIGKILL within "));
                    assertEquals("listed as it was", Optional.of("running"), hosts.source.listedState(guest.name()));
                    assertTrue("its pidfile", Files.exists(guest.runDir(hosts.source).resolve("qemu.pid")));
                    assertEquals("its QEMU", pid, QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid());
                    frozen.thaw(); // the storage answers again: the SIGKILL takes effect
                }
                Poll.until("the source to shut off the guest whose QEMU died at last",
                        () -> Optional.of("shut off").equals(hosts.source.listedState(guest.name())));
            }
            String info = hosts.source.ferryOk("dominfo", guest.name()).out();
            assertTrue(info, info.contains("shut off (crashed)"));
            assertTrue(hosts.source.log(), hosts.source.log().contains("its VM ended on its own"));
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }
}
