package io.ferry.driver.sim;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a VNC or SPICE server: a real listening socket that greets each client with
 * {@code FERRY-SIM <type> <domain>} and keeps it, so that it can later be told where the VM went.
 */
final class GraphicsServer {
    static final String DEFAULT_LISTEN = "127.0.0.1";

    private final String type;
    private final String domain;
    private final String listen;
    private final ServerSocket server;
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private GraphicsServer(String type, String domain, String listen, ServerSocket server) {
        this.type = type;
        this.domain = domain;
        this.listen = listen;
        this.server = server;
        this.acceptor = new Thread(this::accept, "sim-" + domain + "-" + type);
        acceptor.setDaemon(true);
    }

    static boolean serves(DomainSpec.Graphics graphics) {
        return "vnc".equals(graphics.type()) || "spice".equals(graphics.type());
    }

    /** Listens where the definition says: its address (loopback if none), its port (any with autoport). */
    static GraphicsServer open(DomainSpec.Graphics graphics, String domain) throws HypervisorException {
        String listen = graphics.listen() == null || graphics.listen().isBlank() ? DEFAULT_LISTEN : graphics.listen();
        int port = graphics.port() > 0 ? graphics.port() : 0;
        ServerSocket server = null;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(listen), port));
        } catch (IOException | IllegalArgumentException e) {
            closeQuietly(server);
            throw new HypervisorException("cannot listen on " + listen + ":" + port + " for the " + graphics.type()
                    + " graphics of domain '" + domain + "': " + e.getMessage(), e);
        }
        GraphicsServer result = new GraphicsServer(graphics.type(), domain, listen, server);
        result.acceptor.start();
        return result;
    }

    String type() {
        return type;
    }

    DomainSpec.Graphics listener() {
        return new DomainSpec.Graphics(type, server.getLocalPort(), listen);
    }

    /** Tells every connected client to reconnect to {@code host:port}; clients that are gone are dropped. */
    void relocate(String host, int port) {
        byte[] line = ("RELOCATE " + host + " " + port + "\n").getBytes(StandardCharsets.UTF_8);
        for (Socket client : clients) {
            if (!send(client, line)) {
                clients.remove(client);
                closeQuietly(client);
            }
        }
    }

    void close() {
        closeQuietly(server);
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
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void accept() {
        byte[] greeting = ("FERRY-SIM " + type + " " + domain + "\n").getBytes(StandardCharsets.UTF_8);
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                client.setTcpNoDelay(true);
                clients.add(client); // before the greeting: a client that has read it can be relocated
                if (!send(client, greeting)) {
                    clients.remove(client);
                    closeQuietly(client);
                }
            } catch (IOException e) {
                // closed: the loop ends; anything else (a client that vanished mid-accept): go on
            }
        }
    }

    private static boolean send(Socket client, byte[] line) {
        try {
            OutputStream out = client.getOutputStream();
            synchronized (client) {
                out.write(line);
                out.flush();
            }
            return true;
        } catch (IOException e) {
            return false;
        }
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
