package io.ferry.bench;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Peer;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;

/** SnapshotBench's migration: what watches the destination from Perform on ends with the migration, failed too. */
public class SnapshotBenchTest {
    @Test
    public void aFailedFinishLeavesNoWatcherPolling() throws Exception {
        // port 1: nobody listens, so the watcher would never see the domain running there
        ControlClient watched = new ControlClient("ferry+tcp://127.0.0.1:1");

        ChannelException e = assertThrows(ChannelException.class,
                () -> SnapshotBench.migrate(new FakePeer("source"), new FakePeer("destination"), watched, "vm1", "x"));

        assertTrue(e.getMessage(), e.getMessage().startsWith("finish refused"));
        assertEquals(List.of(), watchers());
    }

    /** The live threads in SnapshotBench's watch for a running domain. */
    private static List<Thread> watchers() {
        return Thread.getAllStackTraces().entrySet().stream().filter(e -> e.getKey().isAlive())
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("awaitRunning")
                        && f.getClassName().equals(SnapshotBench.class.getName())))
                .map(Map.Entry::getKey).toList();
    }

    /** A daemon that takes the migration up to Finish, which the destination refuses, as it refuses to settle. */
    private static final class FakePeer implements Peer {
        private final String uri;

        FakePeer(String uri) {
            this.uri = uri;
        }

        @Override
        public String uri() {
            return uri;
        }

        @Override
        public Set<Integer> protocols() {
            return Set.of(3);
        }

        @Override
        public Messages.Begun begin(Messages.Begin request) {
            return new Messages.Begun("m1", "k1", "<domain/>", null, List.of());
        }

        @Override
        public Messages.Prepared prepare(Messages.Prepare request) {
            return new Messages.Prepared("m1", "ferry+tcp://127.0.0.1:1", "t1", null, List.of());
        }

        @Override
        public Messages.Performed perform(Messages.Perform request) {
            return new Messages.Performed("m1", null);
        }

        @Override
        public Messages.Finished finish(Messages.Finish request) throws ChannelException {
            throw new ChannelException("finish refused", true);
        }

        @Override
        public void confirm(Messages.Confirm request) {
        }

        @Override
        public Messages.Fate fate(String migrationId, String key) throws ChannelException {
            throw new ChannelException("no fate here", true);
        }

        @Override
        public Messages.Fate settle(String migrationId, String key) throws ChannelException {
            throw new ChannelException("no settling here", true);
        }

        @Override
        public void keepalive(String migrationId, String key) {
        }

        @Override
        public Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException {
            throw new ChannelException("no endpoint here", true);
        }

        @Override
        public Upload tunnel(String migrationId, String key) throws ChannelException {
            throw new ChannelException("no tunnel here", true);
        }

        @Override
        public InputStream sideStream(String migrationId, String key, String feature) throws ChannelException {
            throw new ChannelException("no side stream here", true);
        }
    }
}
