package io.ferry.core.control;

import io.ferry.settings.SubjectPattern;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells who a connection's client is and what it may do, as libvirt's {@code tls_allowed_dn_list} does: on TLS, a
 * certificate whose subject matches {@code tlsAllowOperators} is an operator, one that matches {@code tlsAllowPeers}
 * a peer, any other is refused; with neither list, every certificate the trust store's CA signed is an operator.
 * Plain TCP serves loopback (or, with {@code --insecure-tcp}, whoever reaches it): its clients are operators.
 * Worked out once per connection.
 */
final class Callers {
    private static final Logger LOG = LoggerFactory.getLogger(Callers.class);
    private static final String ATTRIBUTE = Callers.class.getName();

    private final List<SubjectPattern> operators;
    private final List<SubjectPattern> peers;

    /** @param operators null or empty: none listed */
    Callers(List<SubjectPattern> operators, List<SubjectPattern> peers) {
        this.operators = operators == null ? List.of() : operators;
        this.peers = peers == null ? List.of() : peers;
    }

    /** What the start log says of TLS clients. */
    String describe() {
        if (operators.isEmpty() && peers.isEmpty()) {
            return "no tlsAllowOperators or tlsAllowPeers: every certificate the trust store's CA signed is an operator";
        }
        return "operators " + (operators.isEmpty() ? "none" : operators) + ", peers " + (peers.isEmpty() ? "none" : peers)
                + "; any other certificate is refused";
    }

    Caller of(ConnectionMetaData connection) {
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
        return new Caller(subject, Caller.Role.PEER, "certificate subject '" + subject
                + "' is neither an operator nor a peer of this daemon (tlsAllowOperators, tlsAllowPeers)");
    }

    private static String address(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
                : String.valueOf(address);
    }
}
