/**
 * This host, as the core offers it to plug-ins that depend on the api alone: its settings (what ferryd's command
 * line overrides, where the installation is, the daemon's state directory) and a runner for its programs.
 * 1.1: {@link io.ferry.api.host.ProcessRunner}, {@link io.ferry.api.host.HostSettings#stateDir()}.
 * 1.2: {@link io.ferry.api.host.HostSettings#readSecret(String)}.
 */
@Version("1.2.0")
@Export
package io.ferry.api.host;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
