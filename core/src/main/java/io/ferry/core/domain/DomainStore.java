package io.ferry.core.domain;

import io.ferry.core.daemon.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The domain files of the state directory, each written atomically: {@code domains/NAME.xml} the persistent
 * definitions, {@code status/NAME.xml} the live status of active domains (the definition they run and their
 * state), {@code run/UUID/} what the driver keeps for a VM.
 */
public final class DomainStore {
    private final Path domains;
    private final Path status;
    private final Path run;

    public DomainStore(Path stateDir) throws IOException {
        this.domains = Files.createDirectories(stateDir.resolve("domains"));
        this.status = Files.createDirectories(stateDir.resolve("status"));
        this.run = Files.createDirectories(stateDir.resolve("run"));
    }

    public void writeDefinition(String name, String xml) throws IOException {
        AtomicFiles.write(domains.resolve(name + ".xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    public void deleteDefinition(String name) throws IOException {
        Files.deleteIfExists(domains.resolve(name + ".xml"));
    }

    public List<String> definitions() {
        return read(domains);
    }

    public void writeStatus(String name, String xml) throws IOException {
        AtomicFiles.write(status.resolve(name + ".xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    public void deleteStatus(String name) throws IOException {
        Files.deleteIfExists(status.resolve(name + ".xml"));
    }

    public List<String> statuses() {
        return read(status);
    }

    public Path runDir(UUID uuid) throws IOException {
        return Files.createDirectories(run.resolve(uuid.toString()));
    }

    /** Removes what a driver left of a VM that no longer exists. */
    public void deleteRunDir(UUID uuid) throws IOException {
        Path dir = run.resolve(uuid.toString());
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static List<String> read(Path directory) {
        List<String> documents = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : files) {
                documents.add(Files.readString(file, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory, e);
        }
        return documents;
    }
}
