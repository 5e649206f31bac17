package io.ferry.lock.zookeeper;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A loopback proxy in front of a ZooKeeper server that, once armed, lets the next multi (transaction) request
 * through and cuts the connection instead of passing its answer on: the server committed, the client saw a lost
 * connection (or, armed the other way, cuts it before the request: nothing committed; or lets another client write
 * first). Reads ZooKeeper's length-prefixed frames: after the connect frame, a request starts with its xid and
 * op code, an answer with the xid it answers.
 */
final class AnswerDroppingProxy implements AutoCloseable {
    private static final int MULTI = 14;
    private final ServerSocket listener;
    private final int serverPort;
    private final AtomicBoolean armed = new AtomicBoolean();
    private final AtomicBoolean requestArmed = new AtomicBoolean();
    private final AtomicReference<Runnable> beforeTransaction = new AtomicReference<>();
    private final AtomicInteger dropped = new AtomicInteger();
    /** Whether it stays down (refuses every connection) once it dropped an answer, until {@link #up}. */
    private volatile boolean staysDown;
    private volatile boolean down;

    AnswerDroppingProxy(int serverPort) throws IOException {
        this.serverPort = serverPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "zk-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String connectString() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    void dropTheNextTransactionsAnswer() {
        armed.set(true);
    }

    /** Cuts the connection instead of passing the next transaction on: the server never sees it. */
    void dropTheNextTransaction() {
        requestArmed.set(true);
    }

    /** Runs {@code meanwhile} when the next transaction arrives, then passes it on: another client came first. */
    void beforeTheNextTransaction(Runnable meanwhile) {
        beforeTransaction.set(meanwhile);
    }

    /** Drops the next transaction's answer, then lets no connection through until {@link #up}: ZooKeeper out of reach. */
    void dropTheNextTransactionsAnswerAndStayDown() {
        staysDown = true;
        armed.set(true);
    }

    void up() {
        staysDown = false;
        down = false;
    }

    /** How many answers it dropped. */
    int dropped() {
        return dropped.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (down) {
                    client.close();
                    continue;
                }
                Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort);
                AtomicInteger dropXid = new AtomicInteger(Integer.MIN_VALUE);
                pump("zk-proxy-requests", client, server, (xid, op) -> {
                    if (op == MULTI && requestArmed.compareAndSet(true, false)) {
                        return false;
                    }
                    Runnable meanwhile = op == MULTI ? beforeTransaction.getAndSet(null) : null;
                    if (meanwhile != null) {
                        meanwhile.run();
                    }
                    if (op == MULTI && armed.compareAndSet(true, false)) {
                        dropXid.set(xid);
                    }
                    return true;
                });
                pump("zk-proxy-answers", server, client, (xid, op) -> {
                    if (xid == dropXid.get()) {
                        down = staysDown;
                        dropped.incrementAndGet();
                        return false;
                    }
                    return true;
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Which frames to pass on: given a frame's xid and (requests only) op code; false cuts the connection. */
    private interface Filter {
        boolean pass(int xid, int op);
    }

    private static void pump(String name, Socket from, Socket to, Filter filter) {
        Thread thread = new Thread(() -> {
            try (from; to) {
                DataInputStream in = new DataInputStream(from.getInputStream());
                DataOutputStream out = new DataOutputStream(to.getOutputStream());
                boolean connectFrame = true;
                while (true) {
                    byte[] frame = new byte[in.readInt()];
                    in.readFully(frame);
                    if (!connectFrame && frame.length >= 8) {
                        int xid = ((frame[0] & 0xff) << 24) | ((frame[1] & 0xff) << 16) | ((frame[2] & 0xff) << 8) | (frame[3] & 0xff);
                        int op = ((frame[4] & 0xff) << 24) | ((frame[5] & 0xff) << 16) | ((frame[6] & 0xff) << 8) | (frame[7] & 0xff);
                        if (!filter.pass(xid, op)) {
                            return;
                        }
                    }
                    connectFrame = false;
                    out.writeInt(frame.length);
                    out.write(frame);
                    out.flush();
                }
            } catch (IOException e) {
                // either side closed: the try closes both
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
