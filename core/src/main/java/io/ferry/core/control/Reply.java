package io.ferry.core.control;

import java.io.IOException;
import java.io.OutputStream;

/**
 * What a handler answers: an XML document (status 200), or a stream of bytes written as they come.
 *
 * @param xml null for a stream
 */
record Reply(String xml, Stream stream) {
    /** Writes a streamed reply. */
    interface Stream {
        void writeTo(OutputStream out) throws IOException;
    }

    static Reply xml(String xml) {
        return new Reply(xml, null);
    }

    static Reply stream(Stream stream) {
        return new Reply(null, stream);
    }
}
