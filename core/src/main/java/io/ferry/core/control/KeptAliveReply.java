package io.ferry.core.control;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.Documents;
import io.ferry.protocol.xml.XmlChars;
import io.ferry.protocol.xml.XmlWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.w3c.dom.Element;

/**
 * The reply to one call. A call that runs longer than {@link ControlClient#HEARTBEAT_MILLIS} (a Perform moving
 * gigabytes, a Finish waiting for the memory) sends its caller a space that often ahead of its reply, so the
 * caller's read timeout tells a frozen daemon from a busy one; the status is then 200 whatever the outcome, and an
 * error goes as an {@code <error>} document, which the client reads as a refusal. A heartbeat is skipped while
 * the previous one is still being written (a client that stopped reading is the connection's idle timeout's).
 */
final class KeptAliveReply {
    static final String XML = "application/xml; charset=utf-8";
    private static final byte[] SPACE = {' '};

    private final Response response;
    private final Callback callback;
    private Scheduler.Task next;
    private boolean committed;
    private boolean done;
    private boolean writing;

    KeptAliveReply(Response response, Callback callback) {
        this.response = response;
        this.callback = callback;
    }

    /** Starts the heartbeat. */
    void keepAlive(Scheduler scheduler) {
        schedule(scheduler);
    }

    private synchronized void schedule(Scheduler scheduler) {
        if (!done) {
            next = scheduler.schedule(() -> beat(scheduler), ControlClient.HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void beat(Scheduler scheduler) {
        synchronized (this) {
            if (done) {
                return;
            }
            if (!writing) {
                if (!committed) {
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, XML);
                    committed = true;
                }
                writing = true;
                response.write(false, ByteBuffer.wrap(SPACE), Callback.from(this::written, failure -> written()));
            }
        }
        schedule(scheduler);
    }

    private synchronized void written() {
        writing = false;
        notifyAll();
    }

    void ok(String xml) {
        finish(200, xml);
    }

    /** An error reply: one line whatever the message quotes from the request (control characters escaped). */
    void error(int status, String message) {
        Element error = Documents.create().createElement("error");
        error.setTextContent(XmlChars.replaceInvalid(Xml.escapeControls(String.valueOf(message)))); // an error must always get out
        finish(status, XmlWriter.write(error));
    }

    /** Whether the status went out with the first heartbeat already. */
    synchronized boolean committed() {
        return committed;
    }

    private synchronized void finish(int status, String body) {
        done = true;
        if (next != null) {
            next.cancel();
        }
        try {
            while (writing) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.failed(e);
            return;
        }
        if (!committed) {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, XML);
        }
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
