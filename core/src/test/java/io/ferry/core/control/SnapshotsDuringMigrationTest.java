package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.core.domain.Domain;
import io.ferry.protocol.DaemonMessages.Snapshot;
import io.ferry.protocol.DaemonMessages.Snapshots;
import io.ferry.protocol.Operation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A domain's snapshots change only under its job, as libvirt's job lock has it: not while a migration has claimed
 * the domain (the change would miss the destination, or land before the migrated snapshots commit), and not in the
 * middle of a Begin that reads them.
 */
public class SnapshotsDuringMigrationTest {
    private static final String VM = TestChannel.DOMAIN;

    @Test
    public void snapshotsDoNotChangeOnceABeginHasClaimedTheDomain() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        call(channel, Operation.SNAPSHOT_CREATE, Map.of("name", "s1"));
        call(channel, Operation.SNAPSHOT_CREATE, Map.of("name", "s2"));
        Domain domain = channel.domains.get(VM);
        // claimed as a Begin claims it (a real Begin of a domain with snapshots needs the snapshots section, not here)
        channel.domains.withJob(domain, "migration begin", () -> {
            channel.domains.migrating().claim(domain, "m-1");
            return null;
        });

        String refusal = "Requested operation is not valid: domain vm1 is being migrated (migration m-1)";
        assertEquals(refusal, assertThrows(Exception.class,
                () -> call(channel, Operation.SNAPSHOT_CREATE, Map.of("name", "s3"))).getMessage());
        assertEquals(refusal, assertThrows(Exception.class,
                () -> call(channel, Operation.SNAPSHOT_SET_CURRENT, Map.of("current", "yes"), "s1")).getMessage());

        Snapshots after = channel.snapshots(VM);
        assertEquals("the snapshots as the Begin found them", List.of("s1", "s2"), after.snapshots().stream()
                .map(Snapshot::name).toList());
        assertEquals("s2", after.current());
    }

    @Test
    public void aSnapshotAskedForWhileABeginRunsWaitsForItAndIsRefused() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        Domain domain = channel.domains.get(VM);
        CompletableFuture<Object> create = new CompletableFuture<>();
        Thread creating = new Thread(() -> {
            try {
                create.complete(call(channel, Operation.SNAPSHOT_CREATE, Map.of("name", "s1")));
            } catch (Exception e) {
                create.completeExceptionally(e);
            }
        });

        channel.domains.withJob(domain, "migration begin", () -> { // as a Begin: its job, then the claim
            creating.start();
            awaitWaitingOrEnded(creating);
            channel.domains.migrating().claim(domain, "m-1");
            return null;
        });

        ExecutionException refused = assertThrows("the snapshot was made in the middle of the Begin", ExecutionException.class,
                create::get);
        assertEquals("Requested operation is not valid: domain vm1 is being migrated (migration m-1)",
                refused.getCause().getMessage());
        assertEquals(List.of(), channel.snapshots(VM).snapshots());
    }

    /** Until {@code thread} waits (for the domain's job) or has ended (it did not wait). */
    private static void awaitWaitingOrEnded(Thread thread) throws InterruptedException {
        for (int i = 0; i < 10_000; i++) {
            Thread.State state = thread.getState();
            if (state == Thread.State.TIMED_WAITING || state == Thread.State.TERMINATED) {
                return;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the snapshot-create neither waited nor ended in 10 s: " + thread.getState());
    }

    private static Reply call(TestChannel channel, Operation operation, Map<String, String> query, String... more) throws Exception {
        return channel.call(operation, query, Stream.concat(Stream.of(VM), Stream.of(more)).toArray(String[]::new));
    }
}
