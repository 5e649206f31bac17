package io.ferry.protocol;

import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** A daemon reached over its control channel: {@code POST /v1/migration/PHASE}. */
public final class HttpPeer implements Peer {
    /** Request header that carries a migration's key where the request has no XML body. */
    public static final String KEY_HEADER = "Ferry-Migration-Key";

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
        Xml version = Xml.of(ControlClient.parse(client.get("version")));
        Set<Integer> protocols = new HashSet<>();
        for (String number : version.required("protocols").split(",")) {
            protocols.add(Integer.parseInt(number.trim()));
        }
        return protocols;
    }

    @Override
    public Begun begin(Begin request) throws ChannelException {
        return Begun.fromXml(call("begin", request.toXml()));
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        return Prepared.fromXml(call("prepare", request.toXml()));
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        return Performed.fromXml(call("perform", request.toXml()));
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        return Finished.fromXml(call("finish", request.toXml()));
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        call("confirm", request.toXml());
    }

    @Override
    public Fate fate(String migrationId) throws ChannelException {
        return Fate.fromXml(Xml.of(ControlClient.parse(client.get("migration/" + migrationId))));
    }

    @Override
    public Outcome settle(String migrationId, String key) throws ChannelException {
        return Fate.fromXml(call("settle", new MigrationKey(migrationId, key).toXml("settle"))).outcome();
    }

    @Override
    public void keepalive(String migrationId, String key) throws ChannelException {
        call("keepalive", new MigrationKey(migrationId, key).toXml("keepalive"));
    }

    @Override
    public Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException {
        return Messages.Endpoint.fromXml(call("endpoint", new MigrationKey(migrationId, key).toXml("endpoint")));
    }

    @Override
    public Upload tunnel(String migrationId) throws ChannelException {
        return client.upload("migration/" + migrationId + "/tunnel");
    }

    @Override
    public InputStream sideStream(String migrationId, String key, String feature) throws ChannelException {
        return client.download("migration/" + migrationId + "/stream/" + feature, Map.of(KEY_HEADER, key));
    }

    private Xml call(String phase, String body) throws ChannelException {
        return Xml.of(ControlClient.parse(client.post("migration/" + phase, Map.of(), body.getBytes(StandardCharsets.UTF_8))));
    }
}
