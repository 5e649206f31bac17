package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The state directory's tmp/, emptied at each start: a run directory in it would lose the running VMs' memory. */
public class TemporaryDirectoryTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void aRunDirectoryInsideTheTemporaryDirectoryIsRefusedAndNothingIsEmptied() throws Exception {
        Path state = temp.newFolder("state").toPath();
        Path runDir = Files.createDirectories(state.resolve("tmp/../tmp/run"));
        Path memory = Files.writeString(runDir.resolve("memory"), "a running guest's");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TemporaryDirectory.claim(state, runDir));

        assertEquals("the run directory " + runDir + " is in the state directory's tmp/, which ferryd empties at every start:"
                + " choose another --run-dir (runDir)", e.getMessage());
        assertTrue(Files.exists(memory));
    }
}
