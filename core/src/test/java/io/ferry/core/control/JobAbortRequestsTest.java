package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

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
        return new Call(operation, Caller.operator("test"), List.of(VM), Map.of("migration", id), null);
    }

    private static String handle(TestChannel channel, Call call) throws Exception {
        return channel.routes.route(call.operation()).handler().handle(call).xml();
    }
}
