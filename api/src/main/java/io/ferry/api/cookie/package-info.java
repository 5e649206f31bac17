/**
 * The cookie-section SPI: a plug-in contributes one section of libvirt's {@code <qemu-migration>} cookie
 * by registering a {@link io.ferry.api.cookie.CookieSection} service annotated with
 * {@link io.ferry.api.cookie.SectionProperties}.
 */
@Version("1.0.0")
@Export
package io.ferry.api.cookie;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
