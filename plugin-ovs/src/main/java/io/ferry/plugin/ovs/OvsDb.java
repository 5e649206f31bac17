package io.ferry.plugin.ovs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * This host's OVSDB, through {@code ovs-vsctl} as libvirt talks to it (virnetdevopenvswitch.c). Every call
 * uses {@code --no-wait}: only the database is touched, so no kernel module or ovs-vswitchd is needed.
 * Values are carried as ovs-vsctl prints them (OVSDB syntax, quoted when needed) and handed back verbatim.
 */
final class OvsDb {
    private static final long WAIT_SECONDS = 10;

    private final String program;
    private final String db;

    /** @param db {@code unix:PATH} (anything ovs-vsctl's {@code --db} takes) */
    OvsDb(String program, String db) {
        this.program = program;
        this.db = db;
    }

    OvsDb(String db) {
        this("ovs-vsctl", db);
    }

    String db() {
        return db;
    }

    /** The interface's {@code external_ids:PortData}, or null when it has none (or the interface is absent). */
    String portData(String iface) throws IOException {
        String out = run("--if-exists", "get", "Interface", iface, "external_ids:PortData");
        if (out.endsWith("\n")) { // the line end, as libvirt strips it; the value itself is left as printed
            out = out.substring(0, out.length() - 1);
        }
        return out.isEmpty() ? null : out;
    }

    /** Sets the interface's {@code external_ids:PortData}; fails if the interface does not exist. */
    void setPortData(String iface, String portData) throws IOException {
        run("set", "Interface", iface, "external_ids:PortData=" + portData);
    }

    /** Runs {@code ovs-vsctl --db=DB --no-wait --timeout=5 ARGS}; returns its stdout, or throws with its stderr. */
    String run(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try {
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + WAIT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + err.get(WAIT_SECONDS, TimeUnit.SECONDS).strip());
            }
            return out.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + program, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cannot read the output of " + program + ": " + e.getMessage(), e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
