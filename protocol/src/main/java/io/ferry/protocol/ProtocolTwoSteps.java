package io.ferry.protocol;

import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Migrate;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.MigrationDriver.Listener;

/**
 * What a {@link MigrationDriver} runs after Begin for a peer that only has protocol 2: Prepare, Perform, Finish, with
 * no cookies and no Confirm. Its Perform stops the source's copy, so a Perform whose reply was lost is finished or
 * cancelled on the source's word, never cancelled blindly, and a failed Finish is never settled: one whose reply was
 * lost is sent again.
 */
final class ProtocolTwoSteps {
    private final Listener listener;
    private final FateQuestions questions;

    ProtocolTwoSteps(Listener listener, FateQuestions questions) {
        this.listener = listener;
        this.questions = questions;
    }

    /** The migration {@code begun} from Prepare on: the source is stopped by Perform, so a failed Finish loses it. */
    Finished afterBegin(Peer source, Peer destination, Migrate request, Begun begun, boolean pausedHere)
            throws ChannelException {
        String id = begun.id();
        String key = begun.key();
        MigrationFlags flags = request.flags().withV2().withoutUnsafe();
        String from = SourceAddress.forPrepare(source, destination, begun);
        Prepare prepare = new Prepare(id, key, flags, begun.domainXml(), null, null, from);
        Prepared prepared = MigrationDriver.prepare(source, destination, prepare, request.domain(), pausedHere);
        listener.step("prepare", destination.uri(), null);
        perform(source, destination, new Perform(id, key, prepared.dataUri(), null, destination.uri(), null),
                request.domain());
        listener.step("perform", source.uri(), null);
        Finished finished;
        try {
            finished = destination.finish(new Finish(id, key, false, null));
        } catch (ChannelException e) {
            finished = finishedAgain(e, source, destination, request, id, key);
        }
        MigrationDriver.finishStep(listener, destination, finished, null);
        return finished;
    }

    /**
     * Protocol 2's Perform stops the source's copy once the memory has left, and answers only then (as libvirt's,
     * which returns success once the source is stopped); Finish is its only commit. A refusal leaves the source's copy
     * to go on (the source says so only while it can), and the migration is cancelled. A reply that was lost (the
     * connection dropped, the source restarted) may come of a Perform that stopped it: cancelled, the destination would
     * drop the only copy. The source is asked what became of it until it can say: Finish follows if its copy is gone,
     * the migration is cancelled if it was rolled back, and left to the two daemons while it cannot say.
     */
    private void perform(Peer source, Peer destination, Perform request, String domain) throws ChannelException {
        try {
            source.perform(request);
            return;
        } catch (ChannelException e) {
            if (e.refused()) {
                throw MigrationDriver.cancel(source, destination, request, e);
            }
            Outcome outcome = questions.asked(() -> source.fate(request.id(), request.key()).outcome(), true);
            if (outcome == Outcome.COMMITTED) {
                listener.warning("Perform failed (" + e.getMessage() + "), but the source stopped its copy of domain "
                        + domain + ": the destination finishes the migration");
                return;
            }
            if (outcome == Outcome.ABORTED) {
                throw MigrationDriver.cancel(source, destination, request, e);
            }
            throw new ChannelException(e.getMessage() + "; the source " + source.uri() + " does not say whether it"
                    + " stopped its copy of domain " + domain + ", so migration " + request.id() + " is neither"
                    + " finished nor cancelled: the destination drops what it received once it hears no more of this"
                    + " driver, and the source resumes its copy if it still has one", false, e);
        }
    }

    /**
     * Protocol 2's Finish failed after Perform stopped the source's copy: the destination's is the only one, so it is
     * neither settled nor cancelled (either would drop it). A refusal dropped it there: the guest runs on neither host.
     * A lost reply may come of a Finish that committed: Finish is sent again while the destination cannot be reached
     * (one after the commit is answered as committed), and the migration completes if it is answered.
     */
    private Finished finishedAgain(ChannelException e, Peer source, Peer destination, Migrate request, String id,
            String key) throws ChannelException {
        String stopped = "the source " + source.uri() + " stopped its copy of domain " + request.domain()
                + " at Perform";
        if (e.refused()) {
            throw new ChannelException(e.getMessage() + "; " + stopped + " and the destination did not commit"
                    + " migration " + id + ": the domain runs on neither host", true, e);
        }
        Finished again;
        try {
            again = questions.askedUntil(() -> destination.finish(new Finish(id, key, false, null)), answered -> true);
        } catch (ChannelException retried) {
            String destinationSays = retried.refused() ? " refused the Finish sent again (" + retried.getMessage() + ")"
                    : " does not answer whether it committed migration " + id;
            ChannelException reported = new ChannelException(e.getMessage() + "; " + stopped + ", and the destination "
                    + destination.uri() + destinationSays + ": the domain may run on neither host; do not start it on"
                    + " the source before checking the destination", false, e);
            reported.addSuppressed(retried);
            throw reported;
        }
        MigrationDriver.warnCommittedDespite(listener, e, again);
        return again;
    }
}
