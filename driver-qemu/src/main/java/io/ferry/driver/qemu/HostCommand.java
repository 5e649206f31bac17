package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short host command ({@code ovs-vsctl}, {@code ip}) to its end, within a bound; returns its stdout. */
final class HostCommand {
    private static final long WAIT_SECONDS = 10;

    private HostCommand() {
    }

    static String run(List<String> command) throws HypervisorException {
        File out = null;
        File err = null;
        try {
            out = File.createTempFile("ferry-qemu", ".out"); // files: a chatty child cannot block on a full pipe
            err = File.createTempFile("ferry-qemu", ".err");
            Process process = new ProcessBuilder(command).redirectOutput(out).redirectError(err)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new HypervisorException(String.join(" ", command) + " did not finish within " + WAIT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new HypervisorException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8).strip());
            }
            return Files.readString(out.toPath(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HypervisorException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while running " + command.get(0), e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    private static void delete(File file) {
        if (file != null && !file.delete()) {
            file.deleteOnExit();
        }
    }
}
