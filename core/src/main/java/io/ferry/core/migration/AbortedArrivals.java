package io.ferry.core.migration;

import io.ferry.core.daemon.AtomicFiles;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.xml.XmlException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aborted arrivals each peer daemon left in the journal, by its certificate subject, oldest first, and the removal
 * of its oldest beyond {@link #keptPerPeer}: what keeps a peer that prepares and aborts migrations in a loop from
 * filling the state directory ({@link FileJournal#ABORTED_ARRIVALS_KEPT_PER_PEER}). Read from the journal's directory
 * at the first abort counted, then kept with each.
 */
final class AbortedArrivals {
    private static final Logger LOG = LoggerFactory.getLogger(FileJournal.class);

    /** Reads the record of a file of the journal. */
    interface Records {
        Journal.Entry read(Path file) throws IOException, XmlException, ChannelException;
    }

    private final Path directory;
    private final int keptPerPeer;
    private final Records records;
    private final Map<String, LinkedHashSet<String>> byPeer = new HashMap<>();
    private boolean loaded;

    AbortedArrivals(Path directory, int keptPerPeer, Records records) {
        this.directory = directory;
        this.keptPerPeer = keptPerPeer;
        this.records = records;
    }

    /** Whether the record is one of those counted: a peer's arrival, aborted. */
    static boolean counted(Journal.Entry entry) {
        return entry.role() == Journal.Role.DESTINATION && entry.step() == Step.ABORTED && entry.preparedBy() != null;
    }

    /** Counts the aborted arrival just recorded, and removes its peer's oldest beyond the bound. */
    synchronized void recorded(Journal.Entry aborted) {
        if (!loaded) {
            oldestFirst().forEach(e -> byPeer.computeIfAbsent(e.preparedBy(), p -> new LinkedHashSet<>()).add(e.id()));
            loaded = true;
        }
        LinkedHashSet<String> ids = byPeer.computeIfAbsent(aborted.preparedBy(), p -> new LinkedHashSet<>());
        ids.add(aborted.id());
        for (Iterator<String> oldest = ids.iterator(); ids.size() > keptPerPeer; ) {
            remove(oldest.next(), aborted.preparedBy());
            oldest.remove();
        }
    }

    /** A counted record removed otherwise (ended long ago). */
    synchronized void removed(Journal.Entry entry) {
        LinkedHashSet<String> ids = byPeer.get(entry.preparedBy());
        if (ids != null) {
            ids.remove(entry.id());
        }
    }

    /** The records of peers' aborted arrivals, oldest first. */
    private List<Journal.Entry> oldestFirst() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> listed = Files.newDirectoryStream(directory, "*.xml")) {
            listed.forEach(files::add);
        } catch (IOException e) {
            LOG.warn("cannot list the migration journal {} for the aborted arrivals of peers: {}", directory, AtomicFiles.reason(e));
        }
        List<Map.Entry<FileTime, Journal.Entry>> aborted = new ArrayList<>();
        for (Path file : files) {
            try {
                Journal.Entry entry = records.read(file);
                if (counted(entry)) {
                    aborted.add(Map.entry(Files.getLastModifiedTime(file), entry));
                }
            } catch (IOException | XmlException | ChannelException | IllegalArgumentException e) {
                // unreadable or gone: not a record this bound may remove
            }
        }
        aborted.sort(Map.Entry.comparingByKey());
        return aborted.stream().map(Map.Entry::getValue).toList();
    }

    /** Removes the record of a peer's aborted arrival beyond the bound: only if it is one still. */
    private void remove(String id, String peer) {
        Path file = directory.resolve(id + ".xml");
        try {
            Journal.Entry entry = records.read(file);
            if (counted(entry) && peer.equals(entry.preparedBy())) {
                Files.delete(file);
                LOG.info("journal: record of aborted arrival {} of {} removed: {} has more than {} aborted arrivals recorded here",
                        id, entry.domain(), peer, keptPerPeer);
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile (ended long ago)
        } catch (IOException | XmlException | ChannelException | IllegalArgumentException e) {
            LOG.warn("cannot remove the record of aborted arrival {} of {} beyond the {} kept: {}", id, peer, keptPerPeer,
                    e.getMessage());
        }
    }
}
