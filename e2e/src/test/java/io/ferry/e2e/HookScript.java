package io.ferry.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The installation's hook script {@code etc/hooks/ferry}, installed for one test and removed when it closes.
 * Every daemon of the installation runs it, so a script that must act on one daemon only decides by that
 * daemon's environment (see {@link DaemonProcess#start(String, java.util.Map, String...)}).
 */
final class HookScript implements AutoCloseable {
    private static final Path DIR = Installation.HOME.resolve("etc/hooks");
    private static final Path SCRIPT = DIR.resolve("ferry");

    private final boolean createdDir;

    private HookScript(boolean createdDir) {
        this.createdDir = createdDir;
    }

    /** Installs an executable {@code /bin/sh} script with {@code body}; it gets {@code NAME migrate begin|end -}. */
    static HookScript install(String body) throws IOException {
        if (Files.exists(SCRIPT)) {
            throw new IllegalStateException(SCRIPT + " exists already: not overwriting a hook this test did not install");
        }
        boolean createdDir = !Files.isDirectory(DIR);
        Files.createDirectories(DIR);
        Path temp = Files.createTempFile(DIR, "ferry", ".part");
        Files.writeString(temp, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(temp, SCRIPT);
        return new HookScript(createdDir);
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(SCRIPT);
        if (createdDir) {
            try (var left = Files.list(DIR)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(DIR);
                }
            }
        }
    }
}
