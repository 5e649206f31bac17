package io.ferry.plugin.graphics;

/**
 * Where the destination's graphics server listens, so that the source can tell connected clients where to
 * reconnect.
 *
 * @param tlsPort the TLS port (SPICE only), or null
 * @param tlsSubject the subject of the destination's TLS certificate, or null
 */
public record GraphicsRelocation(String type, int port, String listen, Integer tlsPort, String tlsSubject) {
}
