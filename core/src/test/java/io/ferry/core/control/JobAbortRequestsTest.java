package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.core.migration.FileJournal;
import io.ferry.core.migration.Journal;
import io.ferry.core.migration.Step;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Operation;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.Test;

/**
 * {@code domjobabort} and {@code suspend} as the channel routes them: without a migration id, the domain's job; with
 * one ({@code ferry migrate}'s Ctrl-C and {@code --timeout}), that migration only, which the audit line names.
 */
public class JobAbortRequestsTest {
    private static final String VM = TestChannel.DOMAIN;

    @Test
    public void withoutAMigrationIdItIsTheDomainsJobThatIsAbortedOrThereIsNone() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();

        Exception refused = assertThrows(Exception.class, () -> channel.call(Operation.JOB_ABORT, Map.of(), VM));

        assertEquals("Requested operation is not valid: no job is active on the domain", refused.getMessage());
    }

    @Test
    public void aMigrationIdAbortsThatMigrationOnlyAndTheAuditLineNamesIt() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        String id = UUID.randomUUID().toString();
        Call call = ofMigration(Operation.JOB_ABORT, id);

        String reply = handle(channel, call);

        assertEquals("<withdrawn message='Migration " + id + " of vm1 had not begun: it will not begin now'/>\n", reply);
        assertEquals("test (operator) job-abort domain vm1, migration " + id + ": ok", Audit.line(call, "ok"));
    }

    /**
     * Ctrl-C as a transient domain's Confirm removes it here: the journal answers for the migration, not the domain's
     * absence ("Domain not found", which the command printed as an error though its migration succeeded).
     */
    @Test
    public void anAbortOfAMigrationThatCompletedAndTookItsDomainAwayIsTooLate() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        String id = recordedConfirmed(channel, "gone");

        Exception refused = assertThrows(Exception.class,
                () -> handle(channel, ofMigration(Operation.JOB_ABORT, "gone", id)));

        assertEquals("too late to abort migration " + id + ": it completed", refused.getMessage());
    }

    /** The journal answers under its own domain's name only; a name no domain has is still not found. */
    @Test
    public void anAbortNamingAnotherDomainsEndedMigrationIsRefusedAsBefore() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        String id = recordedConfirmed(channel, "gone");

        Exception ofVm1 = assertThrows(Exception.class,
                () -> handle(channel, ofMigration(Operation.JOB_ABORT, VM, id)));
        Exception ofNobody = assertThrows(Exception.class,
                () -> handle(channel, ofMigration(Operation.JOB_ABORT, "nobody", id)));

        assertEquals("migration " + id + " is not a migration of domain vm1 (it is gone's): nothing was aborted",
                ofVm1.getMessage());
        assertEquals("Domain not found: no domain with matching name 'nobody'", ofNobody.getMessage());
    }

    @Test
    public void aSuspendForAMigrationThatIsNotUnderWayLeavesTheDomainAndTheAuditLineNamesIt() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        String id = UUID.randomUUID().toString();
        Call call = ofMigration(Operation.SUSPEND, id);

        String reply = handle(channel, call);

        assertEquals("<not-under-way message='migration " + id + " of vm1 is not under way here'/>\n", reply);
        assertEquals("test (operator) suspend domain vm1, migration " + id + ": ok", Audit.line(call, "ok"));
    }

    /** An operator's call of {@code operation} on vm1 for migration {@code id} ({@code ?migration=ID}). */
    private static Call ofMigration(Operation operation, String id) {
        return ofMigration(operation, VM, id);
    }

    private static Call ofMigration(Operation operation, String domain, String id) {
        return new Call(operation, Caller.operator("test"), List.of(domain), Map.of("migration", id), null);
    }

    /** The id of a migration of {@code domain} (not defined here) that this host, its source, recorded as CONFIRMED. */
    private static String recordedConfirmed(TestChannel channel, String domain) throws Exception {
        String id = UUID.randomUUID().toString();
        MigrationFlags live = new MigrationFlags(true, false, false, false, false, false, false);
        new FileJournal(channel.stateDir).record(new Journal.Entry(id, Journal.Role.SOURCE, Step.CONFIRMED, domain,
                UUID.randomUUID(), "ferry+tcp://127.0.0.1:2", live, "key", null, true));
        return id;
    }

    private static String handle(TestChannel channel, Call call) throws Exception {
        return channel.routes.route(call.operation()).handler().handle(call).xml();
    }
}
