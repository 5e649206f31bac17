package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** One path of the control channel. */
interface Resource {
    /** Handles one request; a {@link Exchanges.BadRequest} becomes a 4xx error reply. */
    void handle(HttpExchange exchange, String subPath) throws IOException, Exchanges.BadRequest;
}
