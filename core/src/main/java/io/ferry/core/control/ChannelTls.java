package io.ferry.core.control;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.ferry.protocol.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The control channel's transport: plain HTTP ({@code ferry+tcp://}), or, when the daemon has a TLS identity,
 * HTTPS that speaks only {@link TlsFiles#PROTOCOLS} and requires a client certificate signed by the trust
 * store's CA ({@code ferry+tls://}). Peers without one fail the handshake: no request of theirs is served.
 */
final class ChannelTls {
    private ChannelTls() {
    }

    /** An unstarted server bound to {@code listen}. */
    static HttpServer bind(InetSocketAddress listen, int backlog, SSLContext tls) throws IOException {
        if (tls == null) {
            return HttpServer.create(listen, backlog);
        }
        HttpsServer server = HttpsServer.create(listen, backlog);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
                parameters.setProtocols(TlsFiles.PROTOCOLS.toArray(String[]::new));
                parameters.setNeedClientAuth(true);
                params.setSSLParameters(parameters);
            }
        });
        return server;
    }

    /** The channel's URI. */
    /** The URI peers reach the channel at: a wildcard listen address is replaced by this host's name. */
    static String url(InetSocketAddress bound, SSLContext tls) {
        String host = bound.getHostString();
        if (bound.getAddress() != null && bound.getAddress().isAnyLocalAddress()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
            }
        }
        return (tls == null ? "ferry+tcp://" : "ferry+tls://") + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + bound.getPort();
    }
}
