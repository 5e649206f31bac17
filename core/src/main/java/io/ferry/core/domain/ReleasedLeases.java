package io.ferry.core.domain;

import io.ferry.protocol.xml.XmlChars;

/**
 * What a paused VM that stays on this host without its disk leases keeps of them (libvirt's {@code lockState}):
 * the state their release returned, which its resume presents so that the lock manager refuses if another host
 * held them since; or, when another host held them as this daemon re-attached the VM, why they are lost (it
 * never resumes then).
 *
 * @param state what the release returned (null if the manager returned none); unused when lost
 * @param lost the lock manager's refusal at re-attach, or null
 * @param migration the migration whose switch-over gave them back, or null (none, or a status file of an earlier
 *        version): a restarted daemon learns from its journal whether that migration rolled back here
 * @param unconfirmed whether {@code state} is the one they were held with, their release under way and not confirmed
 *        (the daemon stopped, or the lock manager lost its store's answer): it may have gone through, so they are given
 *        back as held ({@link io.ferry.api.lock.LockManager#held}) before they are taken back with the state that returns
 */
public record ReleasedLeases(String state, String lost, String migration, boolean unconfirmed) {
    private static final int MAX_REFUSAL = 1000;

    static ReleasedLeases withState(String state, String migration) {
        return new ReleasedLeases(state, null, migration, false);
    }

    /** Before their release: held with {@code state}. */
    static ReleasedLeases releasing(String state, String migration) {
        return new ReleasedLeases(state, null, migration, true);
    }

    /** @param refusal the lock manager's words, kept in the status file: what XML cannot carry replaced, and cut short */
    static ReleasedLeases lostTo(String refusal) {
        String text = XmlChars.replaceInvalid(refusal);
        String lost = text.length() <= MAX_REFUSAL ? text : text.substring(0, MAX_REFUSAL) + "…";
        return new ReleasedLeases(null, lost, null, false);
    }

    public boolean isLost() {
        return lost != null;
    }
}
