package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.Test;

/**
 * A VNC client connected to the source follows the VM on its own: the destination's graphics section tells the
 * source where it listens (Prepare cookie), the source tells the client (Perform, before memory moves), and the
 * client reconnects. The test never tells the client where to go.
 */
public class GraphicsRelocationIT {

    /** A graphics client as a viewer behaves: greeted on connect, reconnects where RELOCATE says. */
    static final class Client extends Thread {
        volatile int connectedPort;
        volatile String greeting;
        volatile int relocations;
        volatile Exception failure;
        private volatile Socket socket;

        Client(int port) throws IOException {
            super("graphics-client");
            setDaemon(true);
            socket = new Socket("127.0.0.1", port);
            connectedPort = port;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                    String line;
                    Socket next = null;
                    while (next == null && (line = in.readLine()) != null) {
                        if (line.startsWith("FERRY-SIM ")) {
                            greeting = line;
                        } else if (line.startsWith("RELOCATE ")) {
                            String[] where = line.split(" ");
                            greeting = null;
                            next = new Socket(where[1], Integer.parseInt(where[2]));
                            relocations++;
                            connectedPort = Integer.parseInt(where[2]);
                        }
                    }
                    Socket previous = socket;
                    if (next == null) {
                        return; // the server closed this connection and sent nowhere to go
                    }
                    socket = next;
                    previous.close();
                }
            } catch (Exception e) {
                failure = e;
            }
        }

        void close() throws IOException {
            socket.close();
        }
    }

    @Test
    public void connectedVncClientEndsConnectedToTheDestination() throws Exception {
        Path leases = Files.createDirectories(Installation.WORK.resolve("leases-gfx-" + System.nanoTime()));
        try (DaemonProcess a = DaemonProcess.start("gfx-a", "--lease-dir", leases.toString());
                DaemonProcess b = DaemonProcess.start("gfx-b", "--lease-dir", leases.toString())) {
            String name = "gfx-vm";
            a.boot(SimDomain.idle(name, 16).withUuid(UUID.randomUUID().toString()).dirtying(200).withDevices("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>"));
            int sourcePort = a.graphicsPort(name, "vnc");
            Client client = new Client(sourcePort);
            client.start();
            Poll.until("the source's greeting", () -> ("FERRY-SIM vnc " + name).equals(client.greeting));

            a.ferryOk("migrate", "--live", name, b.url());

            int destinationPort = b.graphicsPort(name, "vnc");
            assertNotEquals(sourcePort, destinationPort);
            Poll.until("the client to be greeted by the destination (now on port " + client.connectedPort + ")",
                    () -> client.connectedPort == destinationPort && ("FERRY-SIM vnc " + name).equals(client.greeting));
            assertEquals(1, client.relocations);
            assertEquals(null, client.failure);
            assertTrue(a.log(), a.log().contains("graphics clients told to reconnect to 127.0.0.1:" + destinationPort));
            assertTrue(a.domainXml(name), a.domainXml(name).contains("shut off"));
            client.close();
        }
    }
}
