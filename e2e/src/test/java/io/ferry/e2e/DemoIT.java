package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * The README's main job, {@code ferry demo}, as a user runs it: two daemons on this machine, one live migration of an
 * embedded-hypervisor VM with every shipped section in its cookies, verified by the memory digest; and nothing of it
 * left behind (its daemons, its work directory). The QEMU demo is {@link QemuDemoIT}'s.
 */
public class DemoIT {
    @Test
    public void theDemoMigratesAVmWithEverySectionAndVerifiesItLeavingNothingBehind() throws Exception {
        Installation.Running demo = Installation.launch("demo");
        long pid = demo.process().pid(); // bin/ferry execs its JVM, which names its work directory after itself
        Installation.Result result = demo.await();

        assertEquals(result.toString(), 0, result.exit());
        String out = result.out();
        for (String phase : List.of("Begin", "Prepare", "Perform", "Finish")) {
            assertTrue(phase + ":\n" + out, out.contains("\n== " + phase + " on ferry+tcp://127.0.0.1:"));
        }
        for (String element : List.of("graphics", "lockstate", "network", "snapshots", "domain", "statistics", "capabilities")) {
            assertTrue(element + ":\n" + out, out.matches("(?s).*\n  <" + element + "[ />].*"));
        }
        assertTrue(out, out.endsWith("demo-vm on host-b: running (migrated)\n"
                + "Migration verified: the destination's memory digest matched the source's.\n"));

        String work = "ferry-demo-";
        String own = "-" + pid + "-";
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertEquals(List.of(), tmp.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(work) && n.contains(own))
                    .toList());
        }
        assertEquals(List.of(), ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(List::of).orElse(List.of())
                .stream().anyMatch(a -> a.contains(work) && a.contains(own))).map(ProcessHandle::pid).toList());
    }
}
