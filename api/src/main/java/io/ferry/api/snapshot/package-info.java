/**
 * Snapshot metadata of domains, kept by the core ({@code ferry snapshot-create-as} …), for the section that
 * carries it across migrations: libvirt's {@code <domainsnapshot>} documents.
 * 1.1: {@link io.ferry.api.snapshot.SnapshotStore#read}, incoming snapshots read as the store reads them.
 */
@Version("1.1.0")
@Export
package io.ferry.api.snapshot;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
