package io.ferry.core.migration;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/**
 * The lease state travels in the cookies only from a host that guards its disks with a lock manager: without one, no
 * {@code <lockstate>}, as libvirt adds none for a lock manager that keeps no state.
 */
public class LeaseStateCookieTest {
    private static final String VM = "vm1";

    @Test
    public void withoutALockManagerTheCookiesCarryNoLeaseState() throws Exception {
        TwoDaemons d = new TwoDaemons(false).carryingLeaseState();
        String digest = d.source.boot(VM);

        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        assertFalse(run.begun.cookie(), run.begun.cookie().contains("<lockstate"));
        assertFalse(run.performed.cookie(), run.performed.cookie().contains("<lockstate"));
        run.confirm(false, run.finish().cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void withALockManagerTheyDo() throws Exception {
        TwoDaemons d = new TwoDaemons().carryingLeaseState();
        d.source.boot(VM);

        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        assertTrue(run.performed.cookie(), run.performed.cookie().contains("<lockstate driver='file'"));
    }
}
