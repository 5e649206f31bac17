package io.ferry.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Bundle files for hot deployment, as an operator makes them: a copy at another version, a copy without one of its
 * components, and the atomic drop into a watched {@code deploy/} directory. Used by the tests and the benchmarks.
 */
public final class BundleJars {
    private BundleJars() {
    }

    /** A copy of {@code source} whose manifest says {@code Bundle-Version: version}. */
    public static Path withVersion(Path source, String version, Path target) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            return copy(in, manifest, name -> true, target);
        }
    }

    /** A fragment bundle, {@code symbolicName} 1.0.0, of {@code host}: its manifest and nothing else. */
    public static Path fragment(String symbolicName, String host, Path target) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        manifest.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        manifest.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        manifest.getMainAttributes().putValue("Fragment-Host", host);
        try (OutputStream file = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(file, manifest)) {
            return target;
        }
    }

    /**
     * A copy of {@code source} without the DS component {@code component} (its descriptor and its entry in the
     * manifest's {@code Service-Component}): one section of a bundle that has several.
     */
    public static Path withoutComponent(Path source, String component, Path target) throws IOException {
        String descriptor = "OSGI-INF/" + component + ".xml";
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = new Manifest(in.getManifest());
            String components = manifest.getMainAttributes().getValue("Service-Component");
            manifest.getMainAttributes().putValue("Service-Component", java.util.Arrays.stream(components.split(","))
                    .filter(entry -> !entry.trim().equals(descriptor)).collect(java.util.stream.Collectors.joining(",")));
            return copy(in, manifest, name -> !name.equals(descriptor), target);
        }
    }

    /**
     * A copy of {@code source} that imports {@code pkg} with the version range {@code range} instead of its own: a
     * bundle built against another version of an api package.
     */
    public static Path withImportRange(Path source, String pkg, String range, Path target) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = new Manifest(in.getManifest());
            String imports = manifest.getMainAttributes().getValue("Import-Package");
            String changed = imports.replaceFirst(java.util.regex.Pattern.quote(pkg) + ";version=\"[^\"]*\"",
                    java.util.regex.Matcher.quoteReplacement(pkg + ";version=\"" + range + "\""));
            if (changed.equals(imports)) {
                throw new IOException(source + " does not import " + pkg + " with a version: " + imports);
            }
            manifest.getMainAttributes().putValue("Import-Package", changed);
            return copy(in, manifest, name -> true, target);
        }
    }

    /** Writes {@code manifest} and the entries of {@code in} whose names {@code keep} accepts to {@code target}. */
    private static Path copy(JarInputStream in, Manifest manifest, java.util.function.Predicate<String> keep, Path target)
            throws IOException {
        try (OutputStream file = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                if (keep.test(entry.getName())) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return target;
    }

    /** Puts a file into a watched directory in one atomic step, as FileInstall wants. */
    public static void dropInto(Path file, Path directory, String name) throws IOException {
        Path temp = Files.createTempFile(directory.getParent(), name, ".part");
        try (InputStream in = Files.newInputStream(file)) {
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(temp, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
