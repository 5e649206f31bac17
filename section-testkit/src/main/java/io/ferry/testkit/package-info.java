/**
 * Test support for cookie sections, for unit tests and for in-framework tests (where it is a bundle): a settable
 * {@link io.ferry.testkit.TestSectionContext}, domains from XML ({@link io.ferry.testkit.Domains}), the section's
 * metadata as a daemon registers it ({@link io.ferry.testkit.SectionMetadata}), round trips through the real cookie
 * codec ({@link io.ferry.testkit.CookieRoundTrip}) and a two-host migration ({@link io.ferry.testkit.TwoHosts}).
 * 1.2: {@link io.ferry.testkit.TestSectionContext#checkOnly()}, a check's context.
 * 1.3: {@link io.ferry.testkit.InMemorySnapshotStore}, a snapshot store that reads snapshots as a daemon's does.
 * 1.4: {@link io.ferry.testkit.TwoHosts#of(java.util.function.Supplier)}, a section instance of its own on each host.
 */
@Version("1.4.0")
@Export
package io.ferry.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
