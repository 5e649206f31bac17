package io.ferry.core.migration;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.Peer;
import java.util.Set;

/** This daemon as a {@link Peer} of its own peer-to-peer migrations: direct calls, refusals as definite answers. */
final class LocalPeer implements Peer {
    private final MigrationService service;
    private final String uri;

    LocalPeer(MigrationService service, String uri) {
        this.service = service;
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
        return service.protocols();
    }

    @Override
    public Begun begin(Begin request) throws ChannelException {
        return call(() -> service.begin(request));
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        return call(() -> service.prepare(request));
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        return call(() -> service.perform(request));
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        return call(() -> service.finish(request));
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        call(() -> {
            service.confirm(request);
            return null;
        });
    }

    @Override
    public Fate fate(String migrationId) {
        return service.fate(migrationId);
    }
}
