package io.ferry.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a cookie or domain definition file without ever reading an unbounded amount of it. */
final class CookieFiles {
    /** Far above any daemon's cookie limit; the daemon enforces the real one. */
    static final int MAX_BYTES = 64 * 1024 * 1024;

    private CookieFiles() {
    }

    /** @param what what the file should hold, for the error of one too large ("a migration cookie") */
    static byte[] read(String name, String what) throws CliException {
        Path file = Path.of(name);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new CliException(name + " is larger than " + MAX_BYTES + " bytes: not " + what);
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new CliException("no such file: " + name);
        } catch (IOException e) {
            throw new CliException("cannot read " + name + ": " + e.getMessage());
        }
    }
}
