package io.ferry.protocol;

import io.ferry.protocol.Messages.Begin;
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
import java.time.Duration;
import java.util.List;

/**
 * Runs one migration across two daemons, as libvirt's virDomainMigrateVersion3 and doPeer2PeerMigrate3 do:
 * Begin, Prepare, Perform, Finish, Confirm, or Prepare, Perform, Finish for a peer that only has protocol 2.
 * The first real error is the one reported; the clean-up calls that follow it never replace it. After any
 * failure of Finish the driver asks the destination to settle the migration (abort it unless it committed)
 * and follows its answer, so a Finish that failed after the commit never leads to a second running copy; unless it
 * committed, Confirm with cancelled=1 follows, as in libvirt, and the source settles it with the destination itself.
 * Under protocol 2, whose Perform stops the source's copy, a Perform whose reply was lost is finished or cancelled on
 * the source's word, never cancelled blindly, and a failed Finish is never settled: one whose reply was lost is sent
 * again.
 * The protocol-2 steps are {@link ProtocolTwoSteps}; what is asked again of a daemon that cannot be reached is
 * {@link FateQuestions}.
 * While it runs it keeps both daemons told that it is alive ({@link Keepalive}). The CLI runs it against two
 * daemons (client-managed), a source daemon against itself and its peer (peer-to-peer).
 */
public final class MigrationDriver {
    /** How long to keep asking a destination that does not answer what became of the migration. */
    static final long SETTLE_WAIT_MILLIS = 30_000;
    /** What a daemon from before the migration flag {@code paused} answers when it is given it. */
    private static final String PAUSED_UNKNOWN = "unknown migration flag 'paused'";

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
    private final Duration keepalive;
    private final FateQuestions questions;
    private final ProtocolTwoSteps protocolTwo;

    public MigrationDriver(Listener listener) {
        this(listener, Keepalive.INTERVAL, SETTLE_WAIT_MILLIS);
    }

    /** @param settleWaitMillis how long an unreachable destination is asked again before the driver gives up */
    public MigrationDriver(Listener listener, Duration keepalive, long settleWaitMillis) {
        this.listener = listener;
        this.keepalive = keepalive;
        this.questions = new FateQuestions(settleWaitMillis);
        this.protocolTwo = new ProtocolTwoSteps(listener, questions);
    }

    public Finished run(Peer source, Peer destination, Migrate request) throws ChannelException {
        // as libvirt, protocol 3 only when both daemons speak it: a protocol-2 source refuses Confirm
        boolean v3 = !request.flags().v2() && source.protocols().contains(3) && destination.protocols().contains(3);
        MigrationFlags flags = v3 ? request.flags() : request.flags().withV2();
        Begun begun;
        try {
            begun = source.begin(request.begin(flags));
        } catch (ChannelException e) {
            throw withoutPaused(e, "source", source.uri(), request.domain(), false);
        }
        listener.step("begin", source.uri(), v3 ? begun.cookie() : null);
        // as libvirt's drivers: a domain its source had paused arrives paused (VIR_MIGRATE_PAUSED)
        Migrate migrating = begun.paused() && !request.flags().paused() ? request.withFlags(request.flags().withPaused()) : request;
        try (Keepalive alive = Keepalive.start(keepalive, begun.id(), begun.key(), List.of(source, destination))) {
            // the flag came of the guest being paused, not of --suspend: a refusal of it says so
            boolean pausedHere = migrating != request;
            return v3 ? afterBeginV3(source, destination, migrating, begun, pausedHere)
                    : protocolTwo.afterBegin(source, destination, migrating, begun, pausedHere);
        }
    }

    private Finished afterBeginV3(Peer source, Peer destination, Migrate request, Begun begun, boolean pausedHere)
            throws ChannelException {
        String id = begun.id();
        String key = begun.key();
        // --unsafe is the source's Begin's alone: the destination gets the flags as they were before it
        Prepare prepare = new Prepare(id, key, request.flags().withoutUnsafe(), begun.domainXml(), begun.cookie(),
                begun.sections(), SourceAddress.forPrepare(source, destination, begun));
        Prepared prepared = prepare(source, destination, prepare, request.domain(), pausedHere);
        listener.step("prepare", destination.uri(), prepared.cookie());
        Performed performed = perform(source, destination, new Perform(id, key, prepared.dataUri(), prepared.cookie(),
                destination.uri(), prepared.sections()));
        listener.step("perform", source.uri(), performed.cookie());
        Finished finished;
        try {
            finished = destination.finish(new Finish(id, key, false, performed.cookie()));
        } catch (ChannelException e) {
            if (questions.settle(destination, id, key) == Outcome.COMMITTED) {
                return committedDespite(e, source, request, id, key);
            }
            return afterFailedFinish(e, source, request, id, key);
        }
        finishStep(listener, destination, finished, finished.cookie());
        confirm(source, new Confirm(id, key, false, finished.cookie()));
        listener.step("confirm", source.uri(), null);
        return finished;
    }

    private Finished committedDespite(ChannelException e, Peer source, Migrate request, String id, String key) {
        warnCommittedDespite(listener, e, null);
        confirm(source, new Confirm(id, key, false, null));
        return new Finished(id, request.dname() != null ? request.dname() : request.domain(), null, e.getMessage());
    }

    /**
     * As libvirt's virDomainMigrateVersion3Full, a Finish that did not report success is followed by Confirm with
     * cancelled=1, whatever the destination told the driver: the source settles it with the destination itself (it may
     * reach it where the driver did not) and rolls back only on its word. Its answer says where the guest is: rolled
     * back to the source, run on the destination after all, or kept paused on the source while nobody can say, which
     * its refusal explains (and how to resume it there).
     */
    private Finished afterFailedFinish(ChannelException e, Peer source, Migrate request, String id, String key)
            throws ChannelException {
        String name = request.domain();
        try {
            source.confirm(new Confirm(id, key, true, null, e.getMessage()));
        } catch (ChannelException refused) {
            // the source reached the destination, which committed
            if (FateQuestions.sourceSays(source, id, key) == Outcome.COMMITTED) {
                return committedDespite(e, source, request, id, key);
            }
            ChannelException reported = new ChannelException(e.getMessage() + "; on the source " + source.uri() + ": "
                    + refused.getMessage(), e.refused(), e);
            reported.addSuppressed(refused);
            throw reported;
        }
        throw new ChannelException(e.getMessage() + "; the destination did not commit migration " + id + ": domain " + name
                + " stays on its source " + source.uri(), e.refused(), e);
    }

    /**
     * Finish failed, but the destination committed: the migration succeeded, which the operator is warned of. {@code
     * answered}: a Finish of it that did answer (protocol 2's, sent again), whose note, if any, follows; null when
     * none did, or one answered once it had committed, which says no more: the note of a guest paused or gone there was
     * lost with the first reply.
     */
    static void warnCommittedDespite(Listener listener, ChannelException e, Finished answered) {
        String committed = "Finish failed (" + e.getMessage() + "), but the destination committed the migration";
        listener.warning(answered != null && answered.note() != null ? committed : committed + ": the domain is there"
                + " now; what its Finish said of the guest was lost with the reply, so check it there");
    }

    /** A committed Finish's note (the destination's trouble once the guest was its) is a warning to the operator. */
    static void finishStep(Listener listener, Peer destination, Finished finished, String cookie) {
        if (finished.note() != null) {
            listener.warning(finished.note());
        }
        listener.step("finish", destination.uri(), cookie);
    }

    /** @param pausedHere whether the driver added the flag paused because the source said the guest was paused */
    static Prepared prepare(Peer source, Peer destination, Prepare request, String domain, boolean pausedHere)
            throws ChannelException {
        try {
            return destination.prepare(request);
        } catch (ChannelException e) {
            if (!e.refused()) { // the destination may have prepared before the reply was lost
                finishCancelled(destination, request.id(), request.key(), e);
            }
            confirmQuietly(source, request.id(), request.key(), e);
            throw withoutPaused(e, "destination", destination.uri(), domain, pausedHere);
        }
    }

    /**
     * A daemon from before the migration flag {@code paused} (VIR_MIGRATE_PAUSED) refuses it by its bare name ("unknown
     * migration flag 'paused'"), which tells an operator neither which host is at fault nor that the guest stayed on its
     * source, nor, when the flag came of the guest being paused there and not of {@code --suspend}, why it was sent:
     * said as what it is, with what to do. Any other failure is {@code e} itself.
     *
     * @param role "source" or "destination": the daemon that refused
     * @param pausedHere whether the guest was paused on its source, which is what had the driver add the flag
     */
    public static ChannelException withoutPaused(ChannelException e, String role, String uri, String domain,
            boolean pausedHere) {
        String message = e.getMessage();
        if (message == null || !message.contains(PAUSED_UNKNOWN)) {
            return e;
        }
        String refuses = "the " + role + " daemon at " + uri + " is of an earlier version, which refuses the migration flag"
                + " 'paused' (an arriving guest left paused)";
        String explained = pausedHere
                ? refuses + ", and domain " + domain + " needs it as it is paused on its source, where it stays; ferry"
                        + " resume " + domain + " first to migrate it running, or migrate it once that daemon is upgraded"
                : refuses + " that ferry migrate --suspend asks for: domain " + domain + " stays on its source; migrate it"
                        + " without --suspend, or once that daemon is upgraded";
        ChannelException said = new ChannelException(explained + " (" + message + ")", e.refused(), e);
        for (Throwable suppressed : e.getSuppressed()) {
            said.addSuppressed(suppressed);
        }
        return said;
    }

    private Performed perform(Peer source, Peer destination, Perform request) throws ChannelException {
        try {
            return source.perform(request);
        } catch (ChannelException e) {
            throw cancel(source, destination, request, e);
        }
    }

    /** Cancels a migration whose Perform failed on both daemons; returns the error to report. */
    static ChannelException cancel(Peer source, Peer destination, Perform request, ChannelException e) {
        ChannelException reported = finishCancelled(destination, request.id(), request.key(), e);
        confirmQuietly(source, request.id(), request.key(), reported);
        return reported;
    }

    private void confirm(Peer source, Confirm confirm) {
        try {
            source.confirm(confirm);
        } catch (ChannelException e) {
            listener.warning("the domain runs on the destination, but Confirm failed on the source (" + e.getMessage()
                    + "); the source daemon finishes the clean-up itself");
        }
    }

    /**
     * Cancels the incoming side. When the destination failed on its own (no space for the memory, say), its reason
     * joins the source's error, which is often only its consequence ("Broken pipe").
     */
    private static ChannelException finishCancelled(Peer destination, String id, String key, ChannelException original) {
        try {
            Finished cancelled = destination.finish(new Finish(id, key, true, null));
            if (cancelled.note() != null && !original.getMessage().contains(cancelled.note())) {
                ChannelException joined = new ChannelException(original.getMessage() + "; on the destination: "
                        + cancelled.note(), original.refused(), original);
                return joined;
            }
        } catch (ChannelException e) {
            original.addSuppressed(e);
        }
        return original;
    }

    private static void confirmQuietly(Peer source, String id, String key, ChannelException original) {
        try {
            source.confirm(new Confirm(id, key, true, null, original.getMessage()));
        } catch (ChannelException e) {
            original.addSuppressed(e);
        }
    }
}
