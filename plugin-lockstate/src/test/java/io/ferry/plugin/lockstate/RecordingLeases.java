package io.ferry.plugin.lockstate;

import io.ferry.api.lock.DomainLeases;

/** Leases that record what the section hands them. */
final class RecordingLeases implements DomainLeases {
    final String manager;
    final String state;
    String acquiredWith;

    RecordingLeases(String manager, String state) {
        this.manager = manager;
        this.state = state;
    }

    @Override
    public String manager() {
        return manager;
    }

    @Override
    public String state() {
        return state;
    }

    @Override
    public void acquireWith(String leaseState) {
        acquiredWith = leaseState;
    }
}
