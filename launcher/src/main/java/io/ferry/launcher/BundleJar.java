package io.ferry.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** A bundle file to install, with the start level its symbolic name is given in {@code etc/startlevels.properties}. */
record BundleJar(Path file, String symbolicName, int startLevel) {
    static final int DEFAULT_START_LEVEL = 3;

    /** The bundles of a directory, sorted by start level then name. Files that are not bundles are refused. */
    static List<BundleJar> scan(Path directory, Properties startLevels) {
        List<BundleJar> jars = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return jars;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.jar")) {
            for (Path file : files) {
                String name = symbolicName(file);
                String level = startLevels.getProperty(name);
                jars.add(new BundleJar(file, name, level == null ? DEFAULT_START_LEVEL : Integer.parseInt(level.trim())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        jars.sort((a, b) -> a.startLevel != b.startLevel ? Integer.compare(a.startLevel, b.startLevel)
                : a.symbolicName.compareTo(b.symbolicName));
        return jars;
    }

    private static String symbolicName(Path file) {
        try (JarFile jar = new JarFile(file.toFile())) {
            Manifest manifest = jar.getManifest();
            String name = manifest == null ? null : manifest.getMainAttributes().getValue("Bundle-SymbolicName");
            if (name == null) {
                throw new IllegalStateException(file + " is not an OSGi bundle (no Bundle-SymbolicName)");
            }
            int semicolon = name.indexOf(';');
            return (semicolon < 0 ? name : name.substring(0, semicolon)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
