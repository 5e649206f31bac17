package io.ferry.core.control;

import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Request;

/**
 * One request as a handler sees it: the operation and its path parameters, the query, the body read before the
 * handler runs (or its stream), the caller, and what the audit line names as its target.
 */
final class Call {
    private final Operation operation;
    private final Caller caller;
    private final List<String> parameters;
    private final Map<String, String> query;
    private final Request request;
    private byte[] body;
    private Xml xml;
    private String target;

    Call(Operation operation, Caller caller, List<String> parameters, Map<String, String> query, Request request) {
        this.operation = operation;
        this.caller = caller;
        this.parameters = parameters;
        this.query = query;
        this.request = request;
        this.target = operation.template().contains("{domain}") ? "domain " + parameters.get(0)
                : operation.template().contains("{id}") ? "migration " + parameters.get(0) : "-";
    }

    Operation operation() {
        return operation;
    }

    Caller caller() {
        return caller;
    }

    /** The path parameter at {@code index}, decoded. */
    String parameter(int index) {
        return parameters.get(index);
    }

    /** A query parameter, or null. */
    String query(String key) {
        return query.get(key);
    }

    String required(String key) throws BadRequest {
        String value = query.get(key);
        if (value == null || value.isBlank()) {
            throw new BadRequest(400, "missing parameter '" + key + "'");
        }
        return value;
    }

    /** The address of this host the caller's connection reached; null without a connection. */
    InetAddress reached() {
        SocketAddress local = request == null ? null : request.getConnectionMetaData().getLocalSocketAddress();
        return local instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    String header(String name) {
        return request.getHeaders().get(name);
    }

    void body(byte[] body) {
        this.body = body;
    }

    /** The body read before the handler ran; empty when there was none. */
    byte[] body() {
        return body == null ? new byte[0] : body;
    }

    String bodyText() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** The body as an XML message, parsed once with the route's limits. */
    Xml xml(HardenedXmlParser parser, String what) throws XmlException {
        if (xml == null) {
            xml = Xml.of(parser.parse(body(), what).getDocumentElement());
        }
        return xml;
    }

    /** The body as it arrives, for a route that streams it. */
    InputStream stream() {
        return Request.asInputStream(request);
    }

    /** What the audit line names: "domain vm1", "migration 1f0c…". */
    String target() {
        return target;
    }

    void target(String target) {
        this.target = target;
    }
}
