package io.ferry.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What a program leaves behind is found by its tag, also once orphaned, and killed. */
public class ProcessTreeTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void leftoversAreFoundByTheirTagAndKilledThoughOrphaned() throws Exception {
        Path pids = tmp.getRoot().toPath().resolve("pids");
        ProcessTree tree = ProcessTree.start(List.of("/bin/sh", "-c",
                "sleep 600 & echo $! > " + pids + "; sleep 600 > /dev/null 2>&1 & echo $! >> " + pids));
        assertTrue(tree.process().waitFor(30, TimeUnit.SECONDS));
        List<Long> left = Files.readAllLines(pids).stream().map(Long::parseLong).toList();
        ProcessHandle holding = ProcessHandle.of(left.get(0)).orElseThrow();
        ProcessHandle detached = ProcessHandle.of(left.get(1)).orElseThrow();
        try {
            assertEquals("the sleep that keeps the program's stdout", List.of(holding), tree.pipeHolders());

            tree.kill();

            holding.onExit().get(30, TimeUnit.SECONDS);
            detached.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(holding.isAlive() || detached.isAlive());
            assertTrue(tree.pipeHolders().isEmpty());
        } finally {
            holding.destroyForcibly();
            detached.destroyForcibly();
        }
    }
}
