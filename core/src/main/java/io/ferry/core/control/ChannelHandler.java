package io.ferry.core.control;

import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.XmlChars;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.UrlEncoded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves each request by the routing table: who calls ({@link Callers}), which route, whether that caller may call
 * it, how many calls and streams a peer has under way ({@link PeerCalls}), the body within its limit, whether its client is still there (a state-changing call is not run for a client
 * that gave up), then the handler, kept alive while it runs, and the audit line.
 */
final class ChannelHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final String PREFIX = "/v1/";

    private final RouteTable routes;
    private final Callers callers;
    /** Whether a migration's key admits a peer: it is its key, or this daemon has no such migration. */
    private final Admission admits;

    /** Whether {@code key} may act on migration {@code id}; fails when that cannot be told (its record unreadable). */
    @FunctionalInterface
    interface Admission {
        boolean admits(String id, String key) throws IOException;
    }
    private final PeerCalls peerCalls = new PeerCalls();

    ChannelHandler(RouteTable routes, Callers callers, Admission admits) {
        this.routes = routes;
        this.callers = callers;
        this.admits = admits;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        KeptAliveReply reply = new KeptAliveReply(response, callback);
        Caller caller = callers.of(request);
        if (caller.refusal() != null) {
            // whatever it asks is refused: kept alive, its connections would fill the channel and lock operators out
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        Call call = null;
        boolean counted = false;
        String stream = null; // a peer's stream, counted apart from its calls
        try {
            RouteTable.Match match;
            Map<String, String> query;
            try {
                String path = Request.getPathInContext(request);
                if (!path.startsWith(PREFIX)) {
                    throw new BadRequest(404, "no such resource: " + path);
                }
                query = query(request);
                requireXmlText(path, query);
                match = routes.find(request.getMethod(), Arrays.asList(path.substring(PREFIX.length()).split("/", -1)));
            } catch (BadRequest | XmlChars.Refused e) {
                if (caller.refusal() != null) {
                    throw new BadRequest(403, caller.refusal());
                }
                throw e;
            }
            Route route = match.route();
            call = new Call(route.operation(), caller, match.parameters(), query, request);
            if (caller.refusal() != null) {
                throw new BadRequest(403, caller.refusal());
            }
            if (route.access() == Route.Access.OPERATOR && caller.role() != Caller.Role.OPERATOR) {
                throw new BadRequest(403, "certificate subject '" + caller.who() + "' is a peer of this daemon: it may take part in "
                        + "migrations, not " + route.operation().display());
            }
            if (caller.role() == Caller.Role.PEER) { // before its body: a peer's trickling body holds a worker too
                String name = route.stream() ? streamName(call) : null;
                String busy = name != null ? peerCalls.enterStream(caller.who(), name) : peerCalls.enter(caller.who());
                if (busy != null) {
                    throw new BadRequest(503, busy);
                }
                counted = true;
                stream = name;
            }
            if (route.bodyLimit() > 0) {
                call.body(body(request, route.bodyLimit(), route.bodyName()));
            }
            if (route.operation().changesState() && route.keptAlive() && clientGone(request, response)) {
                LOG.warn("{} of {} not run: its client is gone", route.operation().display(), call.caller());
                Audit.record(call, "not run: the client is gone");
                // a refusal, not a failure: a client that closed only its sending side still reads it; then the
                // connection closes, its end already read here
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                reply.error(400, route.operation().display() + " not run: the client closed its side of the connection");
                return true;
            }
            if (route.access() == Route.Access.PARTY && caller.role() == Caller.Role.PEER) {
                requireParty(route, call);
            }
            if (route.keptAlive()) {
                reply.keepAlive(request.getComponents().getScheduler());
            }
            Reply answer = route.handler().handle(call);
            if (answer.stream() != null) {
                String cut = stream(answer.stream(), response, callback);
                Audit.record(call, cut == null ? "ok" : "failed: cut off: " + cut);
            } else {
                reply.ok(answer.xml());
                Audit.record(call, "ok");
            }
        } catch (BadRequest e) {
            fail(reply, call, e.status, e.getMessage(), "refused: ");
        } catch (XmlChars.Refused e) {
            fail(reply, call, 400, e.getMessage(), "refused: ");
        } catch (IOException e) {
            // a file the request needed (an unreadable snapshot, say): the client gets the reason, not silence
            LOG.error("control request {} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), e.getMessage());
            fail(reply, call, 500, e.getMessage(), "failed: ");
        } catch (RuntimeException e) {
            LOG.error("control request {} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
            fail(reply, call, 500, "internal error: " + e, "failed: ");
        } catch (Exception e) {
            fail(reply, call, 400, message(e), "failed: ");
        } finally {
            if (stream != null) {
                peerCalls.leaveStream(caller.who(), stream);
            } else if (counted) {
                peerCalls.leave(caller.who());
            }
        }
        return true;
    }

    /** Which stream of which migration a call is: {@code tunnel of migration ID}, {@code side-stream snapshots of migration ID}. */
    private static String streamName(Call call) {
        Operation operation = call.operation();
        return operation.display() + (operation == Operation.SIDE_STREAM ? " " + call.parameter(1) : "") + " of " + call.target();
    }

    private void requireParty(Route route, Call call) throws Exception {
        MigrationKey key = route.party().of(call);
        if (key != null && !admits.admits(key.id(), key.key())) {
            throw new BadRequest(403, "certificate subject '" + call.caller().who() + "' is a peer that does not take part in "
                    + "migration " + key.id());
        }
    }

    private static void fail(KeptAliveReply reply, Call call, int status, String message, String outcome) {
        if (call != null) {
            Audit.record(call, outcome + message);
        }
        reply.error(status, message);
    }

    /** The message of a refusal, on one line. */
    static String message(Exception e) {
        String message = e.getMessage();
        return message == null ? e.toString() : message.replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Whether the client of a request whose body was read is gone: it closed the connection (it timed out, say) while
     * the request waited for a worker. A byte of a request it sent meanwhile is consumed: the connection then closes
     * after the reply, as no client of the channel pipelines.
     */
    private static boolean clientGone(Request request, Response response) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return true;
        }
        try {
            int read = endPoint.fill(BufferUtil.allocate(1));
            if (read > 0) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            return read < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** The body, refusing one over {@code limit} bytes without reading it all, or one that trickles in. */
    private static byte[] body(Request request, int limit, String what) throws BadRequest {
        long declared = request.getLength();
        if (declared > limit) {
            throw new BadRequest(413, what + " is over the limit of " + limit + " bytes");
        }
        MinimumBodyRate timed = new MinimumBodyRate(request);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = Request.asInputStream(timed)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + n > limit) {
                    throw new BadRequest(413, what + " is over the limit of " + limit + " bytes");
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) { // the client's doing: it closed, went silent or trickled before the end it declared
            if (timed.tooSlow()) {
                throw new BadRequest(408, what + " arrived slower than " + MinimumBodyRate.BYTES_PER_SECOND
                        + " bytes a second: refused after " + out.size() + " bytes");
            }
            throw new BadRequest(400, what + " cut short after " + out.size() + " bytes: " + message(e));
        }
        return out.toByteArray();
    }

    /**
     * Writes a stream reply. A writer that fails before anything was sent throws, and the call is refused with its
     * reason; one that fails after the reply began cuts it off (the connection closes without the body's end), so that
     * its reader sees a stream cut short, never a shorter one that looks whole.
     *
     * @return null when the stream was written whole; why it was cut off otherwise
     */
    private static String stream(Reply.Stream stream, Response response, Callback callback) throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        OutputStream out = Content.Sink.asOutputStream(response);
        try {
            stream.writeTo(out);
            out.close(); // the body's end: not written for a writer that failed (closing it in a finally did)
        } catch (IOException | RuntimeException e) {
            if (!response.isCommitted()) {
                throw e;
            }
            LOG.warn("stream reply cut off: {}", message(e));
            callback.failed(e);
            return message(e);
        }
        callback.succeeded();
        return null;
    }

    private static Map<String, String> query(Request request) throws BadRequest {
        Map<String, String> query = new HashMap<>();
        Fields fields;
        try {
            fields = Request.extractQueryParameters(request);
        } catch (IllegalArgumentException | IllegalStateException e) { // Jetty's "400: Bad query" (of either kind) names no parameter
            throw new BadRequest(400, malformed(request.getHttpURI().getQuery()));
        }
        for (Fields.Field field : fields) {
            query.put(field.getName(), field.getValue());
        }
        return query;
    }

    /** Which parameter of a query Jetty cannot decode (a bad %-escape, bytes that are not UTF-8), for the refusal. */
    private static String malformed(String query) {
        for (String parameter : query.split("&")) {
            try {
                UrlEncoded.decodeUtf8To(parameter, new Fields());
            } catch (IllegalArgumentException e) {
                return "malformed query parameter " + Xml.quote(parameter) + ": not %-encoded UTF-8";
            }
        }
        return "malformed query " + Xml.quote(query) + ": not %-encoded UTF-8";
    }

    /**
     * Refuses a request whose path or query parameters hold text XML 1.0 cannot carry: whatever the daemon would
     * store or send of it (a snapshot's description, a name echoed in an error) could never be read back.
     */
    private static void requireXmlText(String path, Map<String, String> query) throws XmlChars.Refused {
        XmlChars.require("request path", path);
        for (Map.Entry<String, String> parameter : query.entrySet()) {
            XmlChars.require("parameter name", parameter.getKey());
            XmlChars.require("parameter '" + parameter.getKey() + "'", parameter.getValue());
        }
    }
}
