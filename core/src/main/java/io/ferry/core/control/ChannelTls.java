package io.ferry.core.control;

import io.ferry.protocol.TlsFiles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The control channel's transport: plain HTTP ({@code ferry+tcp://}), or, when the daemon has a TLS identity,
 * HTTPS that speaks only {@link TlsFiles#PROTOCOLS} and requires a client certificate signed by the trust
 * store's CA ({@code ferry+tls://}). Peers without one fail the handshake: no request of theirs is served.
 */
final class ChannelTls {
    private ChannelTls() {
    }

    /** Jetty's TLS of the channel, from the context the daemon loaded (its key, its trust store). */
    static SslContextFactory.Server server(SSLContext tls) {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setSslContext(tls);
        factory.setIncludeProtocols(TlsFiles.PROTOCOLS.toArray(String[]::new));
        factory.setNeedClientAuth(true);
        factory.setRenegotiationAllowed(false);
        factory.setEndpointIdentificationAlgorithm(null); // clients are identified by their subject, not by a host name
        return factory;
    }

    /** The URI peers reach the channel at: a wildcard listen address is replaced by this host's name. */
    static String url(InetSocketAddress bound, SSLContext tls) {
        String host = bound.getHostString();
        if (bound.getAddress() != null && bound.getAddress().isAnyLocalAddress()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
        }
        return (tls == null ? "ferry+tcp://" : "ferry+tls://") + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + bound.getPort();
    }
}
