/**
 * Test support for cookie sections, for unit tests and for in-framework tests (where it is a bundle): a settable
 * {@link io.ferry.testkit.TestSectionContext}, domains from XML ({@link io.ferry.testkit.Domains}), the section's
 * metadata as a daemon registers it ({@link io.ferry.testkit.SectionMetadata}), round trips through the real cookie
 * codec ({@link io.ferry.testkit.CookieRoundTrip}) and a two-host migration ({@link io.ferry.testkit.TwoHosts}).
 */
@Version("1.1.0")
@Export
package io.ferry.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
