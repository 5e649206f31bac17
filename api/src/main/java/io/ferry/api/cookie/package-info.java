/**
 * The cookie-section SPI: a plug-in contributes one section of libvirt's {@code <qemu-migration>} cookie
 * by registering a {@link io.ferry.api.cookie.CookieSection} service annotated with
 * {@link io.ferry.api.cookie.SectionProperties}. {@link io.ferry.api.cookie.CookieSection} states the call contract.
 * 1.1: what a section needs of the VM or the host is a capability,
 * {@link io.ferry.api.cookie.SectionContext#capability}; {@link io.ferry.api.cookie.MigrationJob}; the accessors
 * {@code domain()}, {@code vm()}, {@code leases()}, {@code sideStream()} and the type
 * {@link io.ferry.api.cookie.DomainLeases} are deprecated (now {@link io.ferry.api.lock.DomainLeases}).
 */
@Version("1.1.0")
@Export
package io.ferry.api.cookie;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
