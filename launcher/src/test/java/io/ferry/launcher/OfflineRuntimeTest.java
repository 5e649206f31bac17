package io.ferry.launcher;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * The offline runtime runs the installation's bundles as whoever runs {@code ferry} ({@code sudo ferry sections}):
 * where others may drop a bundle, it refuses to start before any is loaded, as ferryd does.
 */
public class OfflineRuntimeTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();
    private FerryHome home;
    private Path marker;

    /** What a bundle dropped by another user would do: run code at its start. */
    public static final class Marker implements BundleActivator {
        @Override
        public void start(BundleContext context) throws IOException {
            Files.writeString(Path.of(context.getProperty(FerryHome.PROPERTY), "ran"), "as the user of ferry");
        }

        @Override
        public void stop(BundleContext context) {
        }
    }

    @Before
    public void installation() throws IOException {
        home = new FerryHome(temp.newFolder("ferry").toPath());
        marker = home.root().resolve("ran");
        for (Path dir : new Path[] {home.root(), home.root().resolve("lib"), home.bundles(), home.etc(), home.deploy()}) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // whatever the umask
        }
        // enough of an installation for the framework to get to the bundles' start, had it been let
        bundle(home.bundles().resolve("configadmin.jar"), "org.apache.felix.configadmin", false);
    }

    @Test
    public void aDeployDirectoryOthersMayWriteIsRefusedAndNothingInItRuns() throws Exception {
        bundle(home.deploy().resolve("dropped.jar"), "dropped", true);
        assertRefused("deploy directory", home.deploy());
    }

    @Test
    public void aBundleDirectoryOthersMayWriteIsRefusedAndNothingInItRuns() throws Exception {
        bundle(home.bundles().resolve("dropped.jar"), "dropped", true);
        assertRefused("bundle directory", home.bundles());
    }

    /** The scripts root runs (systemd's ExecStart, {@code sudo ferry}): whoever may rewrite them runs as root. */
    @Test
    public void aScriptDirectoryOthersMayWriteIsRefused() throws Exception {
        Path bin = Files.createDirectories(home.root().resolve("bin"));
        assertRefused("script directory", bin);
    }

    @Test
    public void aScriptOthersMayRewriteIsRefused() throws Exception {
        Path bin = Files.createDirectories(home.root().resolve("bin"));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path ferryd = Files.writeString(bin.resolve("ferryd"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(ferryd, PosixFilePermissions.fromString("rwxrwxr-x"));
        IOException e = assertThrows(IOException.class, () -> OfflineRuntime.start(home).close());
        assertTrue(e.getMessage(), e.getMessage().contains(ferryd.toRealPath() + " may be written by its group"));
    }

    /** What ferryd would take is taken offline too; an installation without deploy/ has none to check. */
    @Test
    public void aTrustedInstallationIsLetStart() throws Exception {
        bundle(home.deploy().resolve("section.jar"), "section", true);
        OfflineRuntime.requireTrusted(home);
        Files.delete(home.deploy().resolve("section.jar"));
        Files.delete(home.deploy());
        OfflineRuntime.requireTrusted(home);
    }

    private void assertRefused(String what, Path writable) throws Exception {
        Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rwxrwxr-x"));
        Exception e = assertThrows(Exception.class, () -> OfflineRuntime.start(home).close());
        assertFalse("the dropped bundle ran: " + e, Files.exists(marker));
        assertTrue(e.toString(), e instanceof IOException);
        assertTrue(e.getMessage(), e.getMessage().startsWith("the " + what + " " + writable + " cannot be trusted: "
                + writable.toRealPath() + " may be written by its group or others (mode 775)"));
        assertTrue(e.getMessage(), e.getMessage().endsWith(" that ferry runs or reads; chmod go-w " + writable.toRealPath()));
    }

    /** A bundle of that name, with {@link Marker} for its activator if {@code runs}. */
    private static void bundle(Path file, String symbolicName, boolean runs) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        if (runs) {
            main.putValue("Bundle-Activator", Marker.class.getName());
            main.putValue("Import-Package", "org.osgi.framework");
        }
        String entry = Marker.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file), manifest)) {
            if (runs) {
                jar.putNextEntry(new JarEntry(entry));
                try (InputStream in = Marker.class.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(jar);
                }
            }
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
