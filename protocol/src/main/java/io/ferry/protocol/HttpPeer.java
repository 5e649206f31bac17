package io.ferry.protocol;

import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/** A daemon reached over its control channel: {@code POST /v1/migration/PHASE} and the streams of a migration. */
public final class HttpPeer implements Peer {
    /** Request header that carries a migration's key where the request has no XML body. */
    public static final String KEY_HEADER = "Ferry-Migration-Key";
    /** Keepalives go every {@link Keepalive#INTERVAL}; one that takes longer is lost anyway. */
    static final int KEEPALIVE_TIMEOUT_MILLIS = 4_000;
    /**
     * How long a settle, fate or endpoint call may take in all. The daemon keeps a call's reply alive with its
     * heartbeat, so no read timeout ends one whose handler hangs (on a lock manager's hung store) or a hostile peer's
     * that beats for ever: the source's settlement (and the domain's job it may hold), the driver waiting for the
     * source's fate and a Perform asking where the memory goes would wait for good. Above what most honest settles
     * take (the destination's abort: the incoming VM killed, its hooks run, its leases given back; a busy job is
     * answered "in progress" at once), not above all of them: an answer dropped at the deadline leaves the guest paused
     * until it is asked again.
     */
    public static final int ANSWER_DEADLINE_MILLIS = 120_000;

    private final ControlClient client;
    /**
     * For the questions whose answer need not run long: the settlement's settle, the fate the driver asks of the
     * source, the endpoint a Perform asks (and then again, to watch the destination while the memory moves); bounded by
     * {@link #ANSWER_DEADLINE_MILLIS}.
     */
    private final ControlClient questions;
    private final ControlClient keepalives;

    public HttpPeer(ControlClient client) {
        this(client, ANSWER_DEADLINE_MILLIS);
    }

    /** @param answerDeadlineMillis {@link #ANSWER_DEADLINE_MILLIS}, which tests shorten */
    HttpPeer(ControlClient client, int answerDeadlineMillis) {
        this.client = client;
        this.questions = client.withDeadline(answerDeadlineMillis);
        this.keepalives = client.withTimeout(KEEPALIVE_TIMEOUT_MILLIS).withDeadline(KEEPALIVE_TIMEOUT_MILLIS);
    }

    public ControlClient client() {
        return client;
    }

    @Override
    public String uri() {
        return client.uri();
    }

    @Override
    public Set<Integer> protocols() throws ChannelException {
        return Set.copyOf(new DaemonClient(client).version().protocols());
    }

    @Override
    public Begun begin(Begin request) throws ChannelException {
        return Begun.fromXml(call(client, Operation.BEGIN, request.toXml()));
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        return Prepared.fromXml(call(client, Operation.PREPARE, request.toXml()));
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        return Performed.fromXml(call(client, Operation.PERFORM, request.toXml()));
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        return Finished.fromXml(call(client, Operation.FINISH, request.toXml()));
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        call(client, Operation.CONFIRM, request.toXml());
    }

    @Override
    public Fate fate(String migrationId, String key) throws ChannelException {
        String reply = questions.exchange(Operation.FATE, Map.of(), key(key), null, migrationId);
        return Fate.fromXml(Xml.of(ControlClient.parse(reply)));
    }

    @Override
    public Fate settle(String migrationId, String key) throws ChannelException {
        return Fate.fromXml(call(questions, Operation.SETTLE, new MigrationKey(migrationId, key).toXml("settle")));
    }

    /**
     * Within the keepalive's own interval, in all: a frozen daemon, or one that keeps its reply alive, must not keep
     * the other one from hearing its driver.
     */
    @Override
    public void keepalive(String migrationId, String key) throws ChannelException {
        byte[] body = new MigrationKey(migrationId, key).toXml("keepalive").getBytes(StandardCharsets.UTF_8);
        keepalives.exchange(Operation.KEEPALIVE, Map.of(), Map.of(), body);
    }

    @Override
    public Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException {
        String request = new MigrationKey(migrationId, key).toXml("endpoint");
        return Messages.Endpoint.fromXml(call(questions, Operation.ENDPOINT, request));
    }

    @Override
    public Upload tunnel(String migrationId, String key) throws ChannelException {
        return client.upload(Operation.TUNNEL.path(migrationId), key(key));
    }

    @Override
    public InputStream sideStream(String migrationId, String key, String feature) throws ChannelException {
        return client.download(Operation.SIDE_STREAM.path(migrationId, feature), key(key));
    }

    private static Map<String, String> key(String key) {
        return key == null ? Map.of() : Map.of(KEY_HEADER, key);
    }

    private static Xml call(ControlClient via, Operation operation, String body) throws ChannelException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return Xml.of(ControlClient.parse(via.exchange(operation, Map.of(), Map.of(), bytes)));
    }
}
