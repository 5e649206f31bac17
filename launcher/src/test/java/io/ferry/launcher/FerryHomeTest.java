package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The installation the launch scripts name: ferryd and ferry refuse to run from anything else, saying why. */
public class FerryHomeTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @After
    public void unset() {
        System.clearProperty(FerryHome.PROPERTY);
    }

    @Test
    public void anInstallationIsADirectoryWithBundles() throws Exception {
        Path root = temp.newFolder("ferry").toPath();
        System.setProperty(FerryHome.PROPERTY, root + "/bin/..");
        assertEquals(root + " is not a Ferry installation: it has no bundle/ directory",
                assertThrows(IllegalStateException.class, FerryHome::fromSystemProperty).getMessage());

        Files.createDirectory(root.resolve("bundle"));
        assertEquals(new FerryHome(root), FerryHome.fromSystemProperty());
    }

    @Test
    public void noInstallationNamedIsRefused() {
        for (String unset : new String[] {null, " "}) {
            if (unset == null) {
                System.clearProperty(FerryHome.PROPERTY);
            } else {
                System.setProperty(FerryHome.PROPERTY, unset);
            }
            assertEquals("system property ferry.home is not set (start Ferry through bin/ferryd or bin/ferry)",
                    assertThrows(IllegalStateException.class, FerryHome::fromSystemProperty).getMessage());
        }
    }
}
