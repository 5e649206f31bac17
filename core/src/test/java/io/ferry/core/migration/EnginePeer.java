package io.ferry.core.migration;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
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
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** A test host's engine as a {@link Peer}, through the {@link Network}: refusals as definite answers. */
final class EnginePeer implements Peer {
    private final Network network;
    private final String uri;

    /** Calls this caller cannot get through to the daemon (its own path to it is down), though other hosts can. */
    private final Set<String> cutOff;
    /** The address this caller knows the daemon by, which other hosts may not reach it at. */
    private final String shownAs;
    /** The daemon's local address this caller's connection reaches (the test hosts listen on 127.0.0.1). */
    private final InetAddress reached;

    EnginePeer(Network network, String uri) {
        this(network, uri, Set.of(), uri, InetAddress.getLoopbackAddress());
    }

    private EnginePeer(Network network, String uri, Set<String> cutOff, String shownAs, InetAddress reached) {
        this.network = network;
        this.uri = uri;
        this.cutOff = cutOff;
        this.shownAs = shownAs;
        this.reached = reached;
    }

    /** This daemon as seen by a caller whose {@code calls} ("finish", "settle") never reach it, where other hosts' do. */
    EnginePeer cutOffFor(String... calls) {
        return new EnginePeer(network, uri, Set.of(calls), shownAs, reached);
    }

    /** This daemon as a caller whose connection reaches it at {@code address}, one of its host's (on a wildcard). */
    EnginePeer reachingIt(InetAddress address) {
        return new EnginePeer(network, uri, cutOff, shownAs, address);
    }

    /**
     * This daemon as a caller reaches it at {@code alias}, its own name for it (an operator's {@code localhost}, a name
     * only its resolver knows): its calls arrive, and its {@link #uri()} is the alias.
     */
    EnginePeer seenAs(String alias) {
        return new EnginePeer(network, uri, cutOff, alias, reached);
    }

    private interface Call<T> {
        T run(MigrationEngine engine) throws Exception;
    }

    private <T> T call(String name, Call<T> call) throws ChannelException {
        if (cutOff.contains(name)) {
            throw new ChannelException("cannot connect to " + uri + ": No route to host", false);
        }
        network.arrive(uri, name);
        T result;
        try {
            result = call.run(network.host(uri).engine());
        } catch (ChannelException e) {
            throw e;
        } catch (Exception e) {
            throw new ChannelException(String.valueOf(e.getMessage()), true, e);
        }
        network.answer(uri, name);
        return result;
    }

    @Override
    public String uri() {
        return shownAs;
    }

    @Override
    public Set<Integer> protocols() throws ChannelException {
        return call("version", MigrationEngine::protocols);
    }

    @Override
    public Begun begin(Begin request) throws ChannelException {
        return call("begin", e -> e.begin(request));
    }

    @Override
    public Prepared prepare(Prepare request) throws ChannelException {
        return call("prepare", e -> e.prepare(request, null, reached));
    }

    @Override
    public Performed perform(Perform request) throws ChannelException {
        return call("perform", e -> e.perform(request));
    }

    @Override
    public Finished finish(Finish request) throws ChannelException {
        return call("finish", e -> e.finish(request));
    }

    @Override
    public void confirm(Confirm request) throws ChannelException {
        call("confirm", e -> {
            e.confirm(request);
            return null;
        });
    }

    @Override
    public Fate fate(String migrationId, String key) throws ChannelException {
        return asAnswered(call("fate", e -> e.fate(migrationId)));
    }

    @Override
    public Fate settle(String migrationId, String key) throws ChannelException {
        return asAnswered(call("settle", e -> e.settle(migrationId, key)));
    }

    @Override
    public void keepalive(String migrationId, String key) throws ChannelException {
        call("keepalive", e -> {
            e.keepalive(migrationId, key);
            return null;
        });
    }

    @Override
    public Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException {
        Messages.Endpoint endpoint = call("endpoint", e -> e.endpoint(migrationId, key));
        return network.namesNoJournal(uri) ? new Messages.Endpoint(endpoint.id(), endpoint.dataUri(), endpoint.token(),
                endpoint.domain(), endpoint.uuid(), null, null, null) : endpoint;
    }

    /** A build before journal words says the same with none ({@link Network#namesNoJournal}). */
    private Fate asAnswered(Fate fate) {
        return network.namesNoJournal(uri) ? fate.from(null) : fate;
    }

    @Override
    public Upload tunnel(String migrationId, String key) throws ChannelException {
        network.arrive(uri, "tunnel");
        MigrationEngine engine = network.host(uri).engine();
        PipedInputStream in = new PipedInputStream(64 * 1024);
        PipedOutputStream out;
        try {
            out = new PipedOutputStream(in);
        } catch (IOException e) {
            throw new ChannelException(e.getMessage(), false, e);
        }
        CompletableFuture<Void> received = CompletableFuture.runAsync(() -> {
            try (in) {
                engine.tunnel(migrationId, in);
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
        return new Upload() {
            @Override
            public OutputStream body() {
                return out;
            }

            @Override
            public void finish() throws ChannelException {
                try {
                    out.close();
                    received.get();
                } catch (IOException | InterruptedException | ExecutionException e) {
                    throw new ChannelException(String.valueOf(e.getMessage()), true, e);
                }
            }

            @Override
            public void abort() {
                try {
                    out.close();
                } catch (IOException e) {
                    // gone either way
                }
            }
        };
    }

    @Override
    public InputStream sideStream(String migrationId, String key, String feature) throws ChannelException {
        return call("stream", e -> {
            var writer = e.sideStream(migrationId, key, feature);
            if (writer == null) {
                throw new ChannelException("migration " + migrationId + " offers no " + feature + " stream to this caller", true);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            writer.writeTo(bytes);
            return new ByteArrayInputStream(bytes.toByteArray());
        });
    }
}
