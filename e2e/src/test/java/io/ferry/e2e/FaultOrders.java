package io.ferry.e2e;

import static org.junit.Assert.assertFalse;

import io.ferry.launcher.BundleJars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The file of orders a daemon's test section obeys ({@code FaultSection}): {@code throw STEP} or {@code hold
 * STEP}, carried out once. A held step writes {@code FILE.held} and waits for {@code FILE.release}.
 */
final class FaultOrders {
    /** The test section's bundle, which a daemon obeying orders has in its deploy directory. */
    static final Path TEST_SECTION = Path.of(System.getProperty("ferry.test.section"));

    private final Path file;

    FaultOrders(Path file) {
        this.file = file;
    }

    /** What the daemon's JVM needs to find the orders ({@code FERRYD_JAVA_OPTS}). */
    String javaOption() {
        return "-Dferry.test.fault.file=" + file;
    }

    /**
     * A daemon with the test section, obeying these orders. The section is mandatory where baked: its peer needs
     * it too.
     */
    DaemonProcess startDaemon(String name, Map<String, String> env, String... flags) throws Exception {
        Map<String, String> withOrders = new HashMap<>(env);
        withOrders.put("FERRYD_JAVA_OPTS", javaOption());
        DaemonProcess daemon = DaemonProcess.start(name, withOrders, flags);
        BundleJars.dropInto(TEST_SECTION, daemon.deployDir, "test-section.jar");
        awaitFaultSection(daemon, true);
        return daemon;
    }

    static void awaitFaultSection(DaemonProcess daemon, boolean present) throws Exception {
        Poll.until("the fault section to be " + (present ? "installed" : "gone") + " on " + daemon,
                () -> daemon.ferryOk("sections").out().lines().anyMatch(line -> line.startsWith(" fault ")) == present);
    }

    void give(String order) throws IOException {
        Path temp = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), order, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits until the daemon holds at the ordered step; fails if the command ended first. */
    void awaitHeld(Installation.Running command) throws Exception {
        awaitHeld("the command", command::isAlive, command::await);
    }

    /** ... if the call, made by the test itself, ended first. */
    void awaitHeld(CompletableFuture<?> call) throws Exception {
        awaitHeld("the call", () -> !call.isDone(),
                () -> call.handle((done, e) -> e != null ? "it failed: " + e.getMessage() : "it succeeded").join());
    }

    private void awaitHeld(String what, BooleanSupplier running, Callable<Object> outcome) throws Exception {
        Path held = held();
        Poll.until("the test section to hold (" + file + ")", () -> {
            if (!running.getAsBoolean() && !Files.exists(held)) {
                throw new AssertionError(what + " ended before the step it was to hold:\n" + outcome.call());
            }
            return Files.exists(held);
        });
    }

    /** Fails unless the section carried the order out: it consumes the file as it throws or holds. */
    void assertCarriedOut(String order) {
        assertFalse("the test section never carried out '" + order + "': it is still in " + file, Files.exists(file));
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
