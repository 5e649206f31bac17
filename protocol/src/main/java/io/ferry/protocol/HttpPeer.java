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

    private final ControlClient client;

    public HttpPeer(ControlClient client) {
        this.client = client;
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
        return Begun.fromXml(call(Operation.BEGIN, request.toXml()));
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        return Prepared.fromXml(call(Operation.PREPARE, request.toXml()));
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        return Performed.fromXml(call(Operation.PERFORM, request.toXml()));
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        return Finished.fromXml(call(Operation.FINISH, request.toXml()));
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        call(Operation.CONFIRM, request.toXml());
    }

    @Override
    public Fate fate(String migrationId, String key) throws ChannelException {
        return Fate.fromXml(Xml.of(ControlClient.parse(client.exchange(Operation.FATE, Map.of(), key(key), null, migrationId))));
    }

    @Override
    public Fate settle(String migrationId, String key) throws ChannelException {
        return Fate.fromXml(call(Operation.SETTLE, new MigrationKey(migrationId, key).toXml("settle")));
    }

    /** Within the keepalive's own interval: a frozen daemon must not keep the other one from hearing its driver. */
    @Override
    public void keepalive(String migrationId, String key) throws ChannelException {
        byte[] body = new MigrationKey(migrationId, key).toXml("keepalive").getBytes(StandardCharsets.UTF_8);
        client.withTimeout(KEEPALIVE_TIMEOUT_MILLIS).exchange(Operation.KEEPALIVE, Map.of(), Map.of(), body);
    }

    @Override
    public Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException {
        return Messages.Endpoint.fromXml(call(Operation.ENDPOINT, new MigrationKey(migrationId, key).toXml("endpoint")));
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

    private Xml call(Operation operation, String body) throws ChannelException {
        return Xml.of(ControlClient.parse(client.exchange(operation, Map.of(), Map.of(), body.getBytes(StandardCharsets.UTF_8))));
    }
}
