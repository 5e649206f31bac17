package io.ferry.plugin.lockstate;

/**
 * The lock manager's opaque lease state as libvirt carries it.
 *
 * @param driver the lock manager's name; source and destination must use the same one
 * @param leases the state string, or null when the manager has none
 */
public record LeaseState(String driver, String leases) {
}
