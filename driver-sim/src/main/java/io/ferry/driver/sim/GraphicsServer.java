package io.ferry.driver.sim;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * A stand-in for a VNC or SPICE server: a real listening socket that greets each client with
 * {@code FERRY-SIM <type> <domain>} and keeps it, so that it can later be told where the VM went. One thread per
 * server watches the port and its clients: a client that leaves is closed and dropped at once (unwatched, each one
 * that came and went held a descriptor for as long as the guest ran), and at most {@link #MAX_CLIENTS} are kept, as
 * QEMU's VNC server keeps 32 by default: a client beyond is closed.
 */
final class GraphicsServer {
    static final String DEFAULT_LISTEN = "127.0.0.1";
    /** The clients one server keeps at once. */
    static final int MAX_CLIENTS = 32;
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile("(" + OCTET + "\\.){3}" + OCTET);
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private final String type;
    private final String domain;
    private final String listen;
    private final int port;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private GraphicsServer(String type, String domain, String listen, ServerSocketChannel server, Selector selector)
            throws IOException {
        this.type = type;
        this.domain = domain;
        this.listen = listen;
        this.port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        this.server = server;
        this.selector = selector;
        this.acceptor = new Thread(this::serve, "sim-" + domain + "-" + type);
        acceptor.setDaemon(true);
    }

    static boolean serves(DomainSpec.Graphics graphics) {
        return "vnc".equals(graphics.type()) || "spice".equals(graphics.type());
    }

    /**
     * Refuses a server that would listen elsewhere than the QEMU driver's may (its QemuDevices.graphics): at a port
     * below 5900 (the privileged ones among them: 80, 443, 53) or on anything but an IP address. A peer's arrival took
     * such a port on any address for as long as it lived, and a name was looked up in DNS at its Prepare. Stricter than
     * QEMU's rule on the address, which lets QEMU resolve a name.
     */
    static void check(DomainSpec.Graphics graphics, String domain) throws HypervisorException {
        String of = "' of domain '" + domain + "' (" + graphics.type() + "): ";
        if (graphics.port() != -1 && (graphics.port() < 5900 || graphics.port() > 65535)) {
            throw new HypervisorException("invalid graphics port '" + graphics.port() + of
                    + "-1 (autoport) or 5900-65535");
        }
        String listen = graphics.listen();
        if (!isDefault(listen) && !isIpAddress(listen)) {
            String shown = (listen.length() > 64 ? listen.substring(0, 64) + "…" : listen)
                    .replaceAll("\\p{Cntrl}", "?");
            throw new HypervisorException("invalid graphics listen address '" + shown + of + "an IP address (a name"
                    + " would be looked up in DNS)");
        }
    }

    private static boolean isDefault(String listen) {
        return listen == null || listen.isBlank();
    }

    /**
     * Dotted-quad IPv4, or IPv6: the JDK parses a text with a colon that begins with a hex digit or a colon as an
     * address, and looks up no name.
     */
    private static boolean isIpAddress(String listen) {
        if (IPV4.matcher(listen).matches()) {
            return true;
        }
        try {
            return IPV6.matcher(listen).matches() && InetAddress.getByName(listen) != null;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Listens where the definition, {@link #check checked}, says: its address (loopback if none), its port (any with
     * autoport).
     */
    static GraphicsServer open(DomainSpec.Graphics graphics, String domain) throws HypervisorException {
        String listen = isDefault(graphics.listen()) ? DEFAULT_LISTEN : graphics.listen();
        int port = graphics.port() > 0 ? graphics.port() : 0;
        ServerSocketChannel server = null;
        Selector selector = null;
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(InetAddress.getByName(listen), port));
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            GraphicsServer result = new GraphicsServer(graphics.type(), domain, listen, server, selector);
            result.acceptor.start();
            return result;
        } catch (IOException | IllegalArgumentException e) {
            closeQuietly(selector);
            closeQuietly(server);
            throw new HypervisorException("cannot listen on " + listen + ":" + port + " for the " + graphics.type()
                    + " graphics of domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    String type() {
        return type;
    }

    DomainSpec.Graphics listener() {
        return new DomainSpec.Graphics(type, port, listen);
    }

    /** Tells every connected client to reconnect to {@code host:port}; clients that are gone are dropped. */
    void relocate(String host, int port) {
        byte[] line = ("RELOCATE " + host + " " + port + "\n").getBytes(StandardCharsets.UTF_8);
        for (SocketChannel client : clients) {
            if (!send(client, line)) {
                drop(client);
            }
        }
    }

    void close() {
        closeQuietly(server);
        selector.wakeup();
        boolean interrupted = false;
        while (acceptor.isAlive()) {
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        clients.forEach(GraphicsServer::closeQuietly);
        clients.clear();
        closeQuietly(selector);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Accepts clients and watches them for their end, until the server is closed. */
    private void serve() {
        byte[] greeting = ("FERRY-SIM " + type + " " + domain + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer ignored = ByteBuffer.allocate(1024);
        while (server.isOpen()) {
            try {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        admit(server.accept(), greeting);
                    } else if (key.isReadable() && !readsOn((SocketChannel) key.channel(), ignored)) {
                        drop((SocketChannel) key.channel());
                    }
                }
                selector.selectedKeys().clear();
            } catch (IOException | CancelledKeyException e) {
                // closed: the loop ends; anything else (a client that vanished mid-accept, or that relocate dropped on
                // another thread between the key's check and its use): go on, as a thread that ended would leave the
                // port listening with nobody to accept
            }
        }
    }

    private void admit(SocketChannel client, byte[] greeting) throws IOException {
        if (client == null) {
            return;
        }
        if (clients.size() >= MAX_CLIENTS) {
            closeQuietly(client);
            return;
        }
        try {
            client.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            clients.add(client); // before the greeting: a client that has read it can be relocated
            client.register(selector, SelectionKey.OP_READ);
        } catch (IOException e) {
            drop(client); // gone as it came: it keeps no descriptor
            return;
        }
        if (!send(client, greeting)) {
            drop(client);
        }
    }

    /** Reads what a client sent (nothing a stand-in acts on); false once it has left. */
    private static boolean readsOn(SocketChannel client, ByteBuffer buffer) {
        try {
            buffer.clear();
            return client.read(buffer) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes a line whole; false if the client is gone or takes none of it (a line is far below a socket's buffer). */
    private static boolean send(SocketChannel client, byte[] line) {
        ByteBuffer bytes = ByteBuffer.wrap(line);
        try {
            synchronized (client) {
                while (bytes.hasRemaining()) {
                    if (client.write(bytes) == 0) {
                        return false;
                    }
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void drop(SocketChannel client) {
        clients.remove(client);
        closeQuietly(client); // cancels its key: its descriptor goes at the selector's next turn
        selector.wakeup();
    }

    private static void closeQuietly(Closeable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (IOException e) {
                // nothing more to free
            }
        }
    }
}
