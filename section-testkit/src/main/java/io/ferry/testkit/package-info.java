/** Test support for cookie sections, for unit tests and for in-framework tests (where it is a bundle). */
@Version("1.0.0")
@Export
package io.ferry.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
