package io.ferry.core.control;

import io.ferry.protocol.OperatorTokens;
import io.ferry.protocol.Xml;
import io.ferry.settings.SubjectPattern;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.List;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells who a connection's client is and what it may do, as libvirt's {@code tls_allowed_dn_list} does: on TLS, a
 * certificate whose subject matches {@code tlsAllowOperators} is an operator, one that matches {@code tlsAllowPeers}
 * a peer, any other is refused; with neither list, every certificate the trust store's CA signed is an operator.
 * Plain TCP on loopback serves whoever presents the daemon's operator token ({@link OperatorTokens}: its own user),
 * off loopback ({@code --insecure-tcp}) whoever reaches it. Worked out once per TLS connection, for each request on
 * plain TCP (the token is a header).
 */
final class Callers {
    private static final Logger LOG = LoggerFactory.getLogger(Callers.class);
    private static final String ATTRIBUTE = Callers.class.getName();

    private final List<SubjectPattern> operators;
    private final List<SubjectPattern> peers;
    private final byte[] operatorToken;

    /**
     * @param operators null or empty: none listed
     * @param operatorToken what a plain-TCP client must present to be an operator; null: every plain-TCP client is one
     *        ({@code --insecure-tcp} off loopback)
     */
    Callers(List<SubjectPattern> operators, List<SubjectPattern> peers, String operatorToken) {
        this.operators = operators == null ? List.of() : operators;
        this.peers = peers == null ? List.of() : peers;
        this.operatorToken = operatorToken == null ? null : operatorToken.getBytes(StandardCharsets.US_ASCII);
    }

    /** What the start log says of TLS clients. */
    String describe() {
        if (operators.isEmpty() && peers.isEmpty()) {
            return "no tlsAllowOperators or tlsAllowPeers: every certificate the trust store's CA signed is an operator";
        }
        return "operators " + (operators.isEmpty() ? "none" : operators) + ", peers " + (peers.isEmpty() ? "none" : peers)
                + "; any other certificate is refused";
    }

    Caller of(Request request) {
        ConnectionMetaData connection = request.getConnectionMetaData();
        if (operatorToken != null && connection.getConnection().getEndPoint().getSslSessionData() == null) {
            return byToken(request.getHeaders().get(OperatorTokens.HEADER), connection);
        }
        Caller caller = (Caller) connection.getAttribute(ATTRIBUTE);
        if (caller == null) {
            caller = identify(connection);
            connection.setAttribute(ATTRIBUTE, caller);
            if (caller.refusal() != null) {
                LOG.warn("{} from {}", caller.refusal(), address(connection.getRemoteSocketAddress()));
            }
        }
        return caller;
    }

    /**
     * Whether a connection's client is known to be no operator: a peer, or a caller refused here. Known once it has
     * sent a request; an operator by the token is not recorded, and counts as one.
     */
    static boolean notAnOperator(ConnectionMetaData connection) {
        return connection.getAttribute(ATTRIBUTE) instanceof Caller caller && caller.role() != Caller.Role.OPERATOR;
    }

    private Caller byToken(String presented, ConnectionMetaData connection) {
        String who = address(connection.getRemoteSocketAddress());
        if (presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.US_ASCII), operatorToken)) {
            return Caller.operator(who);
        }
        Caller refused = new Caller(who, Caller.Role.PEER, (presented == null ? "no" : "a wrong") + " operator token ("
                + OperatorTokens.HEADER + "): on plain TCP only the user this daemon runs as may drive it, with the token"
                + " the daemon wrote for that user when it started (run ferry as that user), or use TLS");
        if (connection.getAttribute(ATTRIBUTE) == null) { // once per connection
            connection.setAttribute(ATTRIBUTE, refused);
            LOG.warn("{} from {}", refused.refusal(), who);
        }
        return refused;
    }

    private Caller identify(ConnectionMetaData connection) {
        EndPoint.SslSessionData tls = connection.getConnection().getEndPoint().getSslSessionData();
        if (tls == null) {
            return Caller.operator(address(connection.getRemoteSocketAddress()));
        }
        X509Certificate[] chain = tls.peerCertificates();
        if (chain == null || chain.length == 0) { // need-client-auth lets none through; say so if one does
            return new Caller("no certificate", Caller.Role.PEER, "a client without a certificate may do nothing here");
        }
        String subject = chain[0].getSubjectX500Principal().getName();
        return role(subject);
    }

    /** The role of a certificate subject (RFC 4514). */
    Caller role(String subject) {
        if (operators.isEmpty() && peers.isEmpty() || operators.stream().anyMatch(p -> p.matches(subject))) {
            return Caller.operator(subject);
        }
        if (peers.stream().anyMatch(p -> p.matches(subject))) {
            return new Caller(subject, Caller.Role.PEER, null);
        }
        // the client's text (RFC 2253 keeps control characters other than its escapes), logged once per connection
        return new Caller(subject, Caller.Role.PEER, "certificate subject " + Xml.quote(subject)
                + " is neither an operator nor a peer of this daemon (tlsAllowOperators, tlsAllowPeers)");
    }

    private static String address(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
                : String.valueOf(address);
    }
}
