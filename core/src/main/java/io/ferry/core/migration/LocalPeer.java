package io.ferry.core.migration;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.Peer;
import java.io.InputStream;
import java.util.Set;

/**
 * This daemon as the source {@link Peer} of its own peer-to-peer migrations: direct calls, whose failures are
 * definite answers. The daemon-to-daemon streams are the peer's business, never this one's.
 */
final class LocalPeer implements Peer {
    private final MigrationEngine engine;
    private final String uri;

    LocalPeer(MigrationEngine engine, String uri) {
        this.engine = engine;
        this.uri = uri;
    }

    private interface Step<T> {
        T run() throws Exception;
    }

    private static <T> T call(Step<T> step) throws ChannelException {
        try {
            return step.run();
        } catch (ChannelException e) {
            throw e;
        } catch (Exception e) {
            throw new ChannelException(e.getMessage(), true, e);
        }
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public Set<Integer> protocols() {
        return engine.protocols();
    }

    @Override
    public Begun begin(Begin request) throws ChannelException {
        return call(() -> engine.begin(request));
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        return call(() -> engine.prepare(request));
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        return call(() -> engine.perform(request));
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        return call(() -> engine.finish(request));
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        call(() -> {
            engine.confirm(request);
            return null;
        });
    }

    @Override
    public Fate fate(String migrationId, String key) {
        return engine.fate(migrationId);
    }

    @Override
    public Fate settle(String migrationId, String key) throws ChannelException {
        return call(() -> engine.settle(migrationId, key));
    }

    @Override
    public void keepalive(String migrationId, String key) throws ChannelException {
        call(() -> {
            engine.keepalive(migrationId, key);
            return null;
        });
    }

    @Override
    public io.ferry.protocol.Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException {
        throw new ChannelException("a daemon does not send memory to itself", true);
    }

    @Override
    public Upload tunnel(String migrationId, String key) throws ChannelException {
        throw new ChannelException("a daemon does not tunnel memory to itself", true);
    }

    @Override
    public InputStream sideStream(String migrationId, String key, String feature) throws ChannelException {
        throw new ChannelException("a daemon does not fetch side streams from itself", true);
    }
}
