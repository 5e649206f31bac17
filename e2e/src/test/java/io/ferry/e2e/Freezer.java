package io.ferry.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A cgroup v1 freezer group holding one process: frozen, the process sleeps uninterruptibly (state D) and a SIGKILL
 * stays pending until it is thawed, as a QEMU stuck on a hung NFS server outlives SIGKILL. Needs root and the v1
 * freezer hierarchy ({@link #available}: the tests that need it fail without it, as with any missing component);
 * cgroup v2's freezer lets SIGKILL through.
 */
final class Freezer implements AutoCloseable {
    private static final Path HIERARCHY = Path.of("/sys/fs/cgroup/freezer");

    private final Path group;

    private Freezer(Path group) {
        this.group = group;
    }

    static boolean available() {
        return Files.isDirectory(HIERARCHY) && Files.isWritable(HIERARCHY.resolve("cgroup.procs"));
    }

    /** Moves process {@code pid} (all its threads) into a group of its own and freezes it. */
    static Freezer freeze(long pid) throws IOException, InterruptedException {
        Freezer freezer = new Freezer(Files.createDirectory(HIERARCHY.resolve("ferry-e2e-" + UUID.randomUUID())));
        try {
            Files.writeString(freezer.group.resolve("cgroup.procs"), Long.toString(pid));
            freezer.set("FROZEN");
            return freezer;
        } catch (IOException | InterruptedException | RuntimeException e) {
            freezer.close();
            throw e;
        }
    }

    void thaw() throws IOException, InterruptedException {
        set("THAWED");
    }

    /** Writes the state and waits until the group is in it (freezing takes a moment). */
    private void set(String state) throws IOException, InterruptedException {
        Files.writeString(group.resolve("freezer.state"), state);
        for (int i = 0; i < 5000 && !Files.readString(group.resolve("freezer.state")).trim().equals(state); i++) {
            Thread.sleep(1);
        }
    }

    /** Thaws the group, moves what is left in it back to the root group, and removes it. */
    @Override
    public void close() throws IOException, InterruptedException {
        thaw();
        for (String pid : Files.readString(group.resolve("cgroup.procs")).split("\\s+")) {
            if (!pid.isEmpty()) {
                try {
                    Files.writeString(HIERARCHY.resolve("cgroup.procs"), pid);
                } catch (IOException gone) {
                    // it died meanwhile
                }
            }
        }
        for (int i = 0; i < 5000; i++) {
            try {
                Files.delete(group);
                return;
            } catch (IOException busy) { // a process on its way out
                Thread.sleep(1);
            }
        }
        throw new IOException("cannot remove the freezer group " + group);
    }
}
