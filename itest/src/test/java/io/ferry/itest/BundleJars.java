package io.ferry.itest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/** Makes the variants of a bundle jar a test installs: the same content under another Bundle-Version. */
final class BundleJars {
    private BundleJars() {
    }

    /**
     * Copies {@code jar} to {@code target} with its manifest's Bundle-Version set to {@code version}; every other
     * header and every entry stays as it was.
     */
    static Path withVersion(Path jar, String version, Path target) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest original = in.getManifest();
            if (original == null) {
                throw new IOException(jar + " has no manifest (or not as its first entries)");
            }
            Manifest manifest = new Manifest(original);
            Attributes main = manifest.getMainAttributes();
            if (main.getValue(Constants.BUNDLE_SYMBOLICNAME) == null) {
                throw new IOException(jar + " is not a bundle");
            }
            main.putValue(Constants.BUNDLE_VERSION, version);
            try (OutputStream file = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(file, manifest)) {
                copyEntries(in, out);
            }
        }
        return target;
    }

    private static void copyEntries(JarInputStream in, JarOutputStream out) throws IOException {
        for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
            JarEntry copy = new JarEntry(entry.getName());
            copy.setTime(entry.getTime());
            out.putNextEntry(copy);
            in.transferTo(out);
            out.closeEntry();
        }
    }

    /** The Bundle-Version in a jar's manifest, normalized as the framework shows it. */
    static String version(Path jar) throws IOException {
        return Version.parseVersion(header(jar, Constants.BUNDLE_VERSION)).toString();
    }

    /** "SYMBOLIC-NAME VERSION", the way the daemon names a section's bundle. */
    static String describe(Path jar) throws IOException {
        return header(jar, Constants.BUNDLE_SYMBOLICNAME).split(";")[0].trim() + " " + version(jar);
    }

    private static String header(Path jar, String name) throws IOException {
        try (InputStream file = Files.newInputStream(jar); JarInputStream in = new JarInputStream(file)) {
            Manifest manifest = in.getManifest();
            String value = manifest == null ? null : manifest.getMainAttributes().getValue(name);
            if (value == null) {
                throw new IOException(jar + " has no " + name);
            }
            return value;
        }
    }
}
