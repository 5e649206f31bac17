package io.ferry.core.migration;

import io.ferry.core.daemon.MigrationIds;
import io.ferry.core.migration.Journal.Entry;
import io.ferry.core.migration.Journal.Role;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Xml;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * A migration's journal record as XML ({@code <migration id role step ...>}), written so that the build before each
 * addition still reads it: what {@link FileJournal} keeps on disk.
 */
final class JournalRecordXml {
    /**
     * The migration flag {@code paused} (the guest is not resumed on the destination), kept beside the flags, where an
     * earlier build's reader passes over it: it then resumes the arrival, as that build resumed every arrival.
     */
    static final String ARRIVES_PAUSED = "arrives-paused";
    /**
     * A committed arrival's mandatory features, comma-separated ({@link Entry#mandatory}): empty when it carried none,
     * absent when not recorded (before the commit, or by a build before it), which an earlier build passes over.
     */
    static final String MANDATORY = "mandatory-sections";

    private JournalRecordXml() {
    }

    static String write(Entry entry) {
        Xml record = Xml.create("migration").attr("id", entry.id()).attr("role", Xml.keyword(entry.role()))
                .attr("step", Xml.keyword(entry.step())).attr("domain", entry.domain()).attr("uuid", entry.uuid())
                .attr("peer", entry.peer()).attr("flags", flagsAnEarlierBuildReads(entry.flags())).attr("key", entry.key())
                .attr("leases", entry.leaseState()).attr("was-running", entry.wasRunning() ? "yes" : null)
                .attr("peer-journal", entry.peerJournal()).attr(ARRIVES_PAUSED, entry.flags().paused() ? "yes" : null)
                .attr("prepared-by", entry.preparedBy())
                .attr(MANDATORY, entry.mandatory() == null ? null : String.join(",", entry.mandatory()));
        entry.disks().forEach(disk -> record.child("disk").attr("source", disk));
        return record.write();
    }

    /** The record of {@code file}, which must be named after the migration it records. */
    static Entry read(Xml x, Path file) throws ChannelException {
        String id = x.required("id");
        if (!MigrationIds.isValid(id) || !file.getFileName().toString().equals(id + ".xml")) { // it could not be recorded again
            throw new IllegalArgumentException("it names migration " + Xml.quote(id));
        }
        return new Entry(id, Xml.keyword(Role.class, x.required("role")),
                Xml.keyword(Step.class, x.required("step")), x.required("domain"), UUID.fromString(x.required("uuid")),
                x.attr("peer"), flags(x), x.attr("key"), x.attr("leases"), "yes".equals(x.attr("was-running")),
                x.attr("peer-journal"), disks(x), x.attr("prepared-by"), mandatory(x));
    }

    /** Whether a record keeps {@code paused} among its flags, as the builds from 1daf737 until 8cfc380 wrote it. */
    static boolean keepsPausedAmongFlags(Xml record) {
        return Arrays.asList(String.valueOf(record.attr("flags")).split(",")).contains("paused");
    }

    /**
     * The flags without {@code paused}, which {@link #ARRIVES_PAUSED} records instead: a daemon rolled back to a build
     * before that flag refuses the whole record for it, sets it aside as damaged and never settles its migration (a
     * committed arrival left paused and unfinished, answered "in progress" for good; a source's left unclaimed).
     */
    private static MigrationFlags flagsAnEarlierBuildReads(MigrationFlags flags) {
        return new MigrationFlags(flags.live(), flags.p2p(), flags.tunnelled(), flags.offline(), flags.persistent(),
                flags.undefineSource(), flags.v2(), flags.unsafe(), false);
    }

    /** Also the records of the builds that kept {@code paused} among the flags. */
    private static MigrationFlags flags(Xml record) throws ChannelException {
        MigrationFlags flags = MigrationFlags.parse(record.attr("flags"));
        return "yes".equals(record.attr(ARRIVES_PAUSED)) ? flags.withPaused() : flags;
    }

    /**
     * Null for a record that kept none ({@link #MANDATORY}); a name that is no feature is left out where it is read
     * back ({@link MandatorySections}), not held against the whole record, which is a commit point.
     */
    private static List<String> mandatory(Xml record) {
        String features = record.attr(MANDATORY);
        return features == null ? null : Arrays.stream(features.split(",")).filter(f -> !f.isBlank()).toList();
    }

    private static List<String> disks(Xml record) throws ChannelException {
        List<String> disks = new ArrayList<>();
        for (Xml disk : record.children("disk")) {
            disks.add(disk.required("source"));
        }
        return disks;
    }
}
