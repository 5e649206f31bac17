package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The bundles ferryd installs from a directory, by symbolic name and start level; a jar that is no bundle is refused. */
public class BundleJarTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void bundlesComeInStartLevelThenNameOrder() throws Exception {
        Path dir = temp.newFolder("bundle").toPath();
        Path core = jar(dir.resolve("core.jar"), "io.ferry.core; singleton:=true");
        Path api = jar(dir.resolve("api.jar"), "io.ferry.api");
        Path felix = jar(dir.resolve("scr.jar"), "org.apache.felix.scr");
        Properties levels = new Properties();
        levels.setProperty("io.ferry.api", " 2 ");
        levels.setProperty("org.apache.felix.scr", "2");
        assertEquals(List.of(new BundleJar(api, "io.ferry.api", 2), new BundleJar(felix, "org.apache.felix.scr", 2),
                new BundleJar(core, "io.ferry.core", BundleJar.DEFAULT_START_LEVEL)), BundleJar.scan(dir, levels));
    }

    @Test
    public void aJarThatIsNoBundleIsRefusedNamingIt() throws Exception {
        Path dir = temp.newFolder("deploy").toPath();
        Path plain = jar(dir.resolve("plain.jar"), null);
        assertEquals(plain + " is not an OSGi bundle (no Bundle-SymbolicName)",
                assertThrows(IllegalStateException.class, () -> BundleJar.scan(dir, new Properties())).getMessage());
    }

    @Test
    public void noDirectoryHasNoBundles() {
        assertEquals(List.of(), BundleJar.scan(temp.getRoot().toPath().resolve("none"), new Properties()));
    }

    private static Path jar(Path file, String symbolicName) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (symbolicName != null) {
            manifest.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        }
        new JarOutputStream(Files.newOutputStream(file), manifest).close(); // the manifest alone
        return file;
    }
}
