/**
 * This host's settings as the core knows them, for plug-ins that depend on the api alone: what ferryd's
 * command line overrides, where the installation is, and (1.1) the daemon's state directory.
 */
@Version("1.1.0")
@Export
package io.ferry.api.host;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
