package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reads a {@code <domainsnapshot>} under this host's limits: its name and its parent's, as the store keeps them.
 * Thread-safe. The store reads what it keeps and what migrations bring with it, and the section test kit compiles it
 * in, so that a section's tests read snapshots as a daemon does.
 */
public final class SnapshotReader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

    private final HardenedXmlParser parser;

    /** Reads snapshots of definitions within these cookie limits ({@code ferryd --cookie-max-bytes}, depth). */
    public SnapshotReader(int cookieMaxBytes, int cookieMaxDepth) {
        // a snapshot holds a definition within those limits, one level down, beside its own few elements
        this.parser = new HardenedXmlParser(cookieMaxBytes + 64 * 1024, cookieMaxDepth + 1);
    }

    /**
     * A snapshot on its way in ({@link io.ferry.api.snapshot.SnapshotStore#read}): as {@link #readBack}, and a
     * {@code <parent>} must name its snapshot. Refusals are one line and name no file.
     */
    public Snapshot read(String xml) throws IOException {
        return read(xml, null, true).snapshot();
    }

    /** {@link #read}, with the UUID text of the definition the snapshot holds: what staging checks it against. */
    Read readIncoming(String xml) throws IOException {
        return read(xml, null, true);
    }

    /**
     * A snapshot as read, and the text of the {@code <uuid>} of the definition it holds (empty when it holds no
     * definition, or one without a UUID).
     */
    record Read(Snapshot snapshot, Optional<String> domainUuid) {
    }

    /**
     * A snapshot the store keeps or stages, read back: a {@code <parent>} without a {@code <name>} is a root, as
     * the store has always read it. {@code where} names the file, or the snapshot, in refusals.
     */
    Snapshot readBack(String xml, String where) throws IOException {
        return read(xml, where, false).snapshot();
    }

    /** @param where what refusals start with, or null (the root element names the document then) */
    private Read read(String xml, String where, boolean parentNamed) throws IOException {
        String prefix = where == null ? "" : where + ": ";
        SnapshotHead head = head(xml, prefix);
        if (!"domainsnapshot".equals(head.root()) || head.name() == null) {
            throw new IOException((where == null ? "a <" + head.root() + ">" : where) + " is not a <domainsnapshot> with a <name>");
        }
        String name = name(head.name(), prefix);
        if (parentNamed && head.parentSeen() && head.parentName() == null) {
            throw new IOException("snapshot '" + name + "' has a <parent> without a <name>");
        }
        return new Read(new Snapshot(name, head.parentName() == null ? null : name(head.parentName(), prefix), xml),
                Optional.ofNullable(head.domainUuid()));
    }

    /**
     * Checks a snapshot to be staged for {@code domain} reads back here, names itself and its parent as {@code claimed}
     * says (its stager checked the hierarchy by those names) and holds no other domain's definition. {@code where}
     * names it in refusals.
     */
    public void requireAsClaimed(Snapshot claimed, UUID domain, String where) throws IOException {
        requireName(claimed.name());
        Read read = read(claimed.xml(), where, false);
        Snapshot snapshot = read.snapshot();
        if (!snapshot.name().equals(claimed.name()) || !Objects.equals(snapshot.parent(), claimed.parent())) {
            throw new IOException(where + " names itself '" + snapshot.name() + "' with parent '" + snapshot.parent() + "'");
        }
        requireOfDomain(read.domainUuid(), domain, where);
    }

    /**
     * Refuses a snapshot whose definition is another domain's: it is not {@code domain}'s snapshot (libvirt: "definition
     * for snapshot X must use uuid Y"). One without a definition, or without a UUID in it, is the domain's.
     */
    static void requireOfDomain(Optional<String> domainUuid, UUID domain, String where) throws IOException {
        if (domainUuid.isEmpty()) {
            return;
        }
        UUID uuid;
        try {
            uuid = UUID.fromString(domainUuid.get().trim());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + " holds a definition with the malformed uuid " + shortQuote(domainUuid.get().trim()));
        }
        if (!uuid.equals(domain)) {
            throw new IOException(where + " holds the definition of domain " + uuid + ", not of the migrating domain " + domain);
        }
    }

    private SnapshotHead head(String xml, String prefix) throws IOException {
        SnapshotHead head = new SnapshotHead();
        try {
            parser.read(xml, "domain snapshot", head);
        } catch (XmlException e) {
            throw new IOException(prefix + e.getMessage(), e);
        }
        return head;
    }

    private static String name(String text, String prefix) throws IOException {
        try {
            return requireName(text.trim());
        } catch (IOException e) {
            throw prefix.isEmpty() ? e : new IOException(prefix + e.getMessage(), e);
        }
    }

    /** {@code name} if the store can keep it (it names files and log records). */
    static String requireName(String name) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IOException("invalid snapshot name " + (name == null ? "(none)" : shortQuote(name)));
        }
        return name;
    }

    /** A peer's text, maybe megabytes, for a refusal: quoted on one line, cut short. */
    private static String shortQuote(String text) {
        return text.length() <= 140 ? Xml.quote(text) : Xml.quote(text.substring(0, 128)) + "... (" + text.length() + " characters)";
    }
}
