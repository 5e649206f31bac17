package io.ferry.driver.sim;

import org.junit.rules.ExternalResource;

/** A sim hypervisor for one test (small chunks, see {@link Sim#TEST_CHUNK}), deactivated after it. */
final class TestHypervisor extends ExternalResource {
    final SimHypervisor hypervisor = new SimHypervisor(Sim.TEST_CHUNK);

    @Override
    protected void after() {
        hypervisor.deactivate();
    }
}
