package io.ferry.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The file of orders a daemon's test section obeys ({@code FaultSection}): {@code throw STEP} or {@code hold
 * STEP}, carried out once. A held step writes {@code FILE.held} and waits for {@code FILE.release}.
 */
final class FaultOrders {
    private final Path file;

    FaultOrders(Path file) {
        this.file = file;
    }

    /** What the daemon's JVM needs to find the orders ({@code FERRYD_JAVA_OPTS}). */
    String javaOption() {
        return "-Dferry.test.fault.file=" + file;
    }

    void give(String order) throws IOException {
        Path temp = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), order, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits until the daemon holds at the ordered step; fails if the command ended first. */
    void awaitHeld(Installation.Running command) throws Exception {
        Path held = held();
        Poll.until("the test section to hold (" + file + ")", () -> {
            if (!command.isAlive() && !Files.exists(held)) {
                throw new AssertionError("the command ended before the step it was to hold:\n" + command.await());
            }
            return Files.exists(held);
        });
    }

    /** Lets the held step go on, and waits until it did (the section removes its {@code .held} file). */
    void release() throws Exception {
        Files.writeString(file.resolveSibling(file.getFileName() + ".release"), "go", StandardCharsets.UTF_8);
        Poll.until("the held step to go on (" + file + ")", () -> !Files.exists(held()));
    }

    /** No order left behind for the next migration, whatever happened to this one. */
    void clear() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(held());
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".release"));
    }

    private Path held() {
        return file.resolveSibling(file.getFileName() + ".held");
    }
}
