package io.ferry.core.migration;

import io.ferry.core.daemon.AtomicFiles;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration journal: one file per migration in {@code migrations/}, rewritten atomically with each step
 * <em>before</em> the step takes effect, so that a restarted daemon knows where each migration stood.
 */
public final class Journal {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    public enum Role { SOURCE, DESTINATION }

    /** Source: BEGUN, PERFORMING, PERFORMED, then CONFIRMED or ABORTED. Destination: PREPARED, FINISHING, then COMMITTED or ABORTED. */
    public enum Step {
        BEGUN, PERFORMING, PERFORMED, CONFIRMED, PREPARED, FINISHING, COMMITTED, ABORTED;

        public boolean isFinal() {
            return this == CONFIRMED || this == COMMITTED || this == ABORTED;
        }
    }

    /**
     * @param domain the domain's name on this host
     * @param peer the other daemon's URI, once known
     */
    public record Entry(String id, Role role, Step step, String domain, UUID uuid, String peer, MigrationFlags flags) {
        public Entry at(Step next) {
            return new Entry(id, role, next, domain, uuid, peer, flags);
        }

        public Entry withPeer(String uri) {
            return new Entry(id, role, step, domain, uuid, uri, flags);
        }
    }

    private final Path directory;
    private final HardenedXmlParser parser = new HardenedXmlParser(64 * 1024, 8);

    public Journal(Path stateDir) throws IOException {
        this.directory = Files.createDirectories(stateDir.resolve("migrations"));
    }

    public void record(Entry entry) throws IOException {
        String xml = Xml.create("migration").attr("id", entry.id()).attr("role", entry.role().name().toLowerCase())
                .attr("step", entry.step().name().toLowerCase()).attr("domain", entry.domain()).attr("uuid", entry.uuid())
                .attr("peer", entry.peer()).attr("flags", entry.flags()).write();
        AtomicFiles.write(file(entry.id()), xml.getBytes(StandardCharsets.UTF_8));
        LOG.info("journal: {} {} of {} at {}", entry.role().name().toLowerCase(), entry.id(), entry.domain(),
                entry.step().name().toLowerCase());
    }

    public Optional<Entry> find(String id) {
        if (!id.matches("[A-Za-z0-9-]{1,64}")) {
            return Optional.empty();
        }
        Path file = file(id);
        return Files.exists(file) ? read(file) : Optional.empty();
    }

    /** Every migration that had not reached its end when the daemon stopped. */
    public List<Entry> unfinished() throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : files) {
                read(file).filter(e -> !e.step().isFinal()).ifPresent(entries::add);
            }
        }
        return entries;
    }

    private Optional<Entry> read(Path file) {
        try {
            Xml x = Xml.of(parser.parse(Files.readAllBytes(file), "migration journal").getDocumentElement());
            return Optional.of(new Entry(x.required("id"), Role.valueOf(x.required("role").toUpperCase()),
                    Step.valueOf(x.required("step").toUpperCase()), x.required("domain"), UUID.fromString(x.required("uuid")),
                    x.attr("peer"), MigrationFlags.parse(x.attr("flags"))));
        } catch (IOException | XmlException | ChannelException | IllegalArgumentException e) {
            LOG.error("unreadable migration journal {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    private Path file(String id) {
        return directory.resolve(id + ".xml");
    }
}
