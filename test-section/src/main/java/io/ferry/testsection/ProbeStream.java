package io.ferry.testsection;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * What the probe writes on its side stream. A class of its own, first loaded when a stream is written (not when the
 * probe bakes), as a third party's writer often is: after an update of the bundle, the old bundle's class loader can
 * no longer load it.
 */
final class ProbeStream {
    private final String bundleVersion;

    ProbeStream(String bundleVersion) {
        this.bundleVersion = bundleVersion;
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(("written by version " + bundleVersion).getBytes(StandardCharsets.UTF_8));
    }
}
