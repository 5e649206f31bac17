/**
 * The lock-manager SPI: disk leases that make "a VM never runs on two hosts" hold even when daemons lose
 * each other. A manager registers {@link io.ferry.api.lock.LockManager} with its name; the core takes a
 * domain's leases before its VM runs and releases them when it stops or pauses for switch-over.
 * 1.1: {@link io.ferry.api.lock.DomainLeases}, a migrating domain's leases as a cookie section sees them.
 * 1.2: {@link io.ferry.api.lock.LockManager#held}, leases a restarted daemon gives back.
 * 1.3: {@link io.ferry.api.lock.LockManager#heldElsewhere}, who holds a domain's leases, read without taking them.
 * 1.4: {@link io.ferry.api.lock.LeaseRequest#domainResource}, the lease of the domain itself that every request names
 * beside its disks'.
 */
@Version("1.4.0")
@Export
package io.ferry.api.lock;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
