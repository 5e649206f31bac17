/**
 * This host, as the core offers it to plug-ins that depend on the api alone: its settings (what ferryd's command
 * line overrides, and where the installation is) and a runner for its programs.
 */
@Version("1.1.0")
@Export
package io.ferry.api.host;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
