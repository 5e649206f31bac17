package io.ferry.protocol;

import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Migrate;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;

/**
 * Runs one migration across two daemons, as libvirt's virDomainMigrateVersion3 and doPeer2PeerMigrate3 do:
 * Begin, Prepare, Perform, Finish, Confirm, or Prepare, Perform, Finish for a peer that only has protocol 2.
 * The first real error is the one reported; the clean-up calls that follow it never replace it. The CLI runs
 * it against two daemons (client-managed), a source daemon against itself and its peer (peer-to-peer).
 */
public final class MigrationDriver {
    /** How long to keep asking a destination that did not answer Finish what became of the migration. */
    private static final long FATE_WAIT_MILLIS = 30_000;

    /** Sees each step, for the demo's transcript and virsh-like verbosity. */
    public interface Listener {
        void step(String phase, String host, String cookieOut);

        void warning(String message);

        Listener NONE = new Listener() {
            @Override
            public void step(String phase, String host, String cookieOut) {
            }

            @Override
            public void warning(String message) {
            }
        };
    }

    private final Listener listener;

    public MigrationDriver(Listener listener) {
        this.listener = listener;
    }

    public Finished run(Peer source, Peer destination, Migrate request) throws ChannelException {
        // as libvirt, protocol 3 only when both daemons speak it: a protocol-2 source refuses Confirm
        boolean v3 = !request.flags().v2() && source.protocols().contains(3) && destination.protocols().contains(3);
        return v3 ? runV3(source, destination, request) : runV2(source, destination, request);
    }

    private Finished runV3(Peer source, Peer destination, Migrate request) throws ChannelException {
        Begun begun = source.begin(request.begin());
        listener.step("begin", source.uri(), begun.cookie());
        String id = begun.id();
        Prepared prepared;
        try {
            prepared = destination.prepare(new Prepare(id, request.flags(), begun.domainXml(), begun.cookie(),
                    begun.sections(), source.uri()));
        } catch (ChannelException e) {
            confirmQuietly(source, id, e);
            throw e;
        }
        listener.step("prepare", destination.uri(), prepared.cookie());
        Performed performed;
        try {
            performed = source.perform(new Perform(id, prepared.dataUri(), prepared.token(), prepared.cookie(),
                    destination.uri(), prepared.sections()));
        } catch (ChannelException e) {
            finishCancelledQuietly(destination, id, e);
            confirmQuietly(source, id, e);
            throw e;
        }
        listener.step("perform", source.uri(), performed.cookie());
        Finished finished;
        try {
            finished = destination.finish(new Finish(id, false, performed.cookie()));
        } catch (ChannelException e) {
            Outcome outcome = e.refused() ? Outcome.ABORTED : awaitOutcome(destination, id);
            if (outcome == Outcome.COMMITTED) {
                listener.warning("the reply to Finish was lost, but the destination runs the domain: " + e.getMessage());
                confirm(source, new Confirm(id, false, null));
                return new Finished(id, request.dname() != null ? request.dname() : request.domain(), null);
            }
            if (outcome == Outcome.ABORTED) {
                confirmQuietly(source, id, e);
                throw e;
            }
            throw new ChannelException(e.getMessage() + "; the destination cannot say whether it runs the domain, so the"
                    + " source keeps it paused and settles it with the destination when it answers", false, e);
        }
        listener.step("finish", destination.uri(), finished.cookie());
        confirm(source, new Confirm(id, false, finished.cookie()));
        listener.step("confirm", source.uri(), null);
        return finished;
    }

    /** Protocol 2: no cookies, and the source is killed by Perform, so a failed Finish loses the domain. */
    private Finished runV2(Peer source, Peer destination, Migrate request) throws ChannelException {
        Begun begun = source.begin(new Messages.Begin(request.domain(), request.flags().withV2(), request.dname(),
                request.xml(), request.bandwidthMiB()));
        listener.step("begin", source.uri(), null);
        String id = begun.id();
        Prepared prepared;
        try {
            prepared = destination.prepare(new Prepare(id, request.flags().withV2(), begun.domainXml(), null, null, source.uri()));
        } catch (ChannelException e) {
            confirmQuietly(source, id, e);
            throw e;
        }
        listener.step("prepare", destination.uri(), null);
        try {
            source.perform(new Perform(id, prepared.dataUri(), prepared.token(), null, destination.uri(), null));
        } catch (ChannelException e) {
            finishCancelledQuietly(destination, id, e);
            confirmQuietly(source, id, e);
            throw e;
        }
        listener.step("perform", source.uri(), null);
        Finished finished = destination.finish(new Finish(id, false, null));
        listener.step("finish", destination.uri(), null);
        return finished;
    }

    private void confirm(Peer source, Confirm confirm) {
        try {
            source.confirm(confirm);
        } catch (ChannelException e) {
            listener.warning("the domain runs on the destination, but Confirm failed on the source (" + e.getMessage()
                    + "); the source daemon finishes the clean-up itself");
        }
    }

    private Outcome awaitOutcome(Peer destination, String id) {
        long deadline = System.currentTimeMillis() + FATE_WAIT_MILLIS;
        while (true) {
            try {
                Outcome outcome = destination.fate(id).outcome();
                if (outcome != Outcome.IN_PROGRESS) {
                    return outcome == Outcome.UNKNOWN ? Outcome.ABORTED : outcome;
                }
            } catch (ChannelException e) {
                // not reachable yet: keep asking until the deadline
            }
            if (System.currentTimeMillis() > deadline) {
                return Outcome.IN_PROGRESS;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.IN_PROGRESS;
            }
        }
    }

    private static void finishCancelledQuietly(Peer destination, String id, ChannelException original) {
        try {
            destination.finish(new Finish(id, true, null));
        } catch (ChannelException e) {
            original.addSuppressed(e);
        }
    }

    private static void confirmQuietly(Peer source, String id, ChannelException original) {
        try {
            source.confirm(new Confirm(id, true, null));
        } catch (ChannelException e) {
            original.addSuppressed(e);
        }
    }
}
