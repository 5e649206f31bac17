package io.ferry.protocol;

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
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A daemon that answers what the test scripted and records every call ("finish cancelled", "confirm", ...),
 * for the driver's choices after each failure.
 */
class ScriptedPeer implements Peer {
    private final String uri;
    private final Set<Integer> protocols;
    final List<String> calls = new ArrayList<>();
    /** Each call's failures in turn, the last of which stays (null: the call is answered). */
    private final Map<String, List<ChannelException>> failures = new HashMap<>();
    Outcome settleOutcome = Outcome.ABORTED;
    /** What settle answers first, one a call, before {@link #settleOutcome}. */
    final List<Outcome> settleFirst = new ArrayList<>();
    String cancelNote;
    /** The note of a Finish that committed: the destination's trouble after the guest began to run there. */
    String finishNote;
    int keepalives;
    /** Whether Begin answers that the guest was paused before its migration began. */
    boolean beginsPaused;
    /** The flags of each Begin and Prepare as their messages write them ("begin live,unsafe"). */
    final List<String> flags = new ArrayList<>();
    /** The daemon's own address, which its Begin names (null: none, as a daemon of an earlier build). */
    String ownUri;
    /** The source address each Prepare named. */
    final List<String> prepareSources = new ArrayList<>();

    ScriptedPeer(String uri, Set<Integer> protocols) {
        this.uri = uri;
        this.protocols = protocols;
    }

    /** The call named {@code call} is refused (the daemon ran it and said no). */
    ScriptedPeer refuses(String call, String message) {
        return then(call, new ChannelException(message, true));
    }

    /** The call named {@code call} is lost (no answer: the outcome is unknown). */
    ScriptedPeer loses(String call, String message) {
        return then(call, new ChannelException(message, false));
    }

    /** The call named {@code call}, once it has failed as scripted so far, is answered. */
    ScriptedPeer thenAnswers(String call) {
        return then(call, null);
    }

    private synchronized ScriptedPeer then(String call, ChannelException failure) {
        failures.computeIfAbsent(call, c -> new ArrayList<>()).add(failure);
        return this;
    }

    private synchronized void called(String call) throws ChannelException {
        calls.add(call);
        List<ChannelException> script = failures.getOrDefault(call, List.of());
        ChannelException failure = script.size() > 1 ? script.remove(0) : script.isEmpty() ? null : script.get(0);
        if (failure != null) {
            throw failure;
        }
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public Set<Integer> protocols() {
        return protocols;
    }

    @Override
    public Begun begin(Begin request) throws ChannelException {
        called("begin");
        flags.add("begin " + request.flags());
        return new Begun("m1", "k".repeat(64), "<domain/>", request.flags().v2() ? null : "<qemu-migration/>", List.of(),
                beginsPaused, ownUri);
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        called("prepare");
        flags.add("prepare " + request.flags());
        prepareSources.add(request.sourceUri());
        return new Prepared(request.id(), "tcp:127.0.0.1:1", "t", "<qemu-migration/>", List.of());
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        called("perform");
        return new Performed(request.id(), "<qemu-migration/>");
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        called(request.cancelled() ? "finish cancelled" : "finish");
        return request.cancelled() ? new Finished(request.id(), null, null, cancelNote)
                : new Finished(request.id(), "vm", "<c/>", finishNote);
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        called(request.cancelled() ? "confirm cancelled" : "confirm");
    }

    @Override
    public Fate fate(String migrationId, String key) throws ChannelException {
        called("fate");
        return new Fate(migrationId, settleOutcome);
    }

    @Override
    public Fate settle(String migrationId, String key) throws ChannelException {
        called("settle");
        synchronized (this) {
            return new Fate(migrationId, settleFirst.isEmpty() ? settleOutcome : settleFirst.remove(0));
        }
    }

    @Override
    public synchronized void keepalive(String migrationId, String key) {
        keepalives++;
    }

    @Override
    public Messages.Endpoint endpoint(String migrationId, String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Upload tunnel(String migrationId, String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public InputStream sideStream(String migrationId, String key, String feature) {
        throw new UnsupportedOperationException();
    }
}
