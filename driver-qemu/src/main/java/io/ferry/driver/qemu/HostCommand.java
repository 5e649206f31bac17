package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short host command ({@code ovs-vsctl}, {@code ip}) to its end, within a bound. */
final class HostCommand {
    private static final long WAIT_SECONDS = 10;

    private HostCommand() {
    }

    static void run(List<String> command) throws HypervisorException {
        File err = null;
        try {
            err = File.createTempFile("ferry-qemu", ".err"); // a file: a chatty child cannot block on a full pipe
            Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(err).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new HypervisorException(String.join(" ", command) + " did not finish within " + WAIT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new HypervisorException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new HypervisorException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while running " + command.get(0), e);
        } finally {
            if (err != null && !err.delete()) {
                err.deleteOnExit();
            }
        }
    }
}
