package io.ferry.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The wall clock of a daemon's process, stepped as NTP or an operator's {@code date -s} steps a host's, through
 * libfaketime ({@code .ci/run} installs it): only the wall clock moves, the monotonic one runs on.
 */
final class WallClock {
    private final Path offsetFile;

    WallClock(String name) throws IOException {
        this.offsetFile = Installation.file(name + "-clock", ".offset", "+0\n");
    }

    /** The environment that puts a daemon's process on this clock. */
    Map<String, String> env() throws IOException {
        // the monotonic clock left alone, and the JVM's timed waits on it too: libfaketime's "monotonic fix" of
        // pthread_cond_timedwait made every one of them return at once (a daemon spun for half a minute to start)
        return Map.of("LD_PRELOAD", library().toString(), "FAKETIME_TIMESTAMP_FILE", offsetFile.toString(),
                "FAKETIME_CACHE_DURATION", "1", "FAKETIME_DONT_FAKE_MONOTONIC", "1", "FAKETIME_FORCE_MONOTONIC_FIX", "0",
                "NO_FAKE_STAT", "1");
    }

    /** Steps the clock to {@code offset} from the real time ({@code +2h}, {@code -2h}), in one rename. */
    void step(String offset) throws IOException {
        Path next = offsetFile.resolveSibling(offsetFile.getFileName() + ".next");
        Files.writeString(next, offset + "\n", StandardCharsets.US_ASCII);
        Files.move(next, offsetFile, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path library() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.map(dir -> dir.resolve("faketime/libfaketimeMT.so.1")).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IOException("libfaketime is not installed (Debian: libfaketime; .ci/run installs it)"));
        }
    }
}
