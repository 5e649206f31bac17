package io.ferry.plugin.snapshots;

/**
 * What the cookie says of a VM's snapshots: how many, and a digest of their metadata. The metadata itself is
 * too large for a cookie and travels over a side stream.
 */
public record SnapshotDescriptor(int count, String digest) {
}
