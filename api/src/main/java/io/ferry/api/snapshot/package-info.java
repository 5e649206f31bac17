/**
 * Snapshot metadata of domains, kept by the core ({@code ferry snapshot-create-as} …), for the section that
 * carries it across migrations: libvirt's {@code <domainsnapshot>} documents.
 * 1.1: {@link io.ferry.api.snapshot.SnapshotStore#read}, incoming snapshots read as the store reads them.
 * 1.2: {@link io.ferry.api.snapshot.SnapshotStore#staged}, what is staged, for a start to discard what no journal knows.
 * 1.3: {@link io.ferry.api.snapshot.SnapshotStore#forget}, the snapshots of a domain that migrated away for good.
 */
@Version("1.3.0")
@Export
package io.ferry.api.snapshot;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
