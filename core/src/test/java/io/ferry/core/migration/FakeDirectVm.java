package io.ferry.core.migration;

import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A VM as QEMU's are: no memory digest, and its memory moves over a connection of its own (the destination
 * listens, the source connects, no token), besides the core's streams. It records which way its memory went and
 * when Confirm waited for its graphics clients.
 */
final class FakeDirectVm extends FakeVm implements DirectMigration {
    /** What happened to this VM, in order: "listen", "await", "send URI", "stream out", "stream in", "graphics wait", "destroy". */
    final List<String> events = new CopyOnWriteArrayList<>();
    private volatile ServerSocket listener;
    /** Runs once the memory started out over the VM's own connection, which then goes on until the job is aborted. */
    volatile Runnable whileSending;

    FakeDirectVm(DomainSpec spec, boolean booted) {
        super(spec, booted);
    }

    @Override
    public boolean hasMemoryDigest() {
        return false;
    }

    @Override
    public String memoryDigest() {
        throw new UnsupportedOperationException("this VM has no memory digest");
    }

    @Override
    public String listenForMemory(String host) throws HypervisorException {
        try {
            listener = new ServerSocket();
            listener.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        } catch (IOException e) {
            throw new HypervisorException("cannot listen: " + e.getMessage(), e);
        }
        events.add("listen");
        return "tcp:" + host + ":" + listener.getLocalPort();
    }

    @Override
    public MigrationStats awaitMemory(MigrationControl control) throws HypervisorException {
        try (ServerSocket server = listener; Socket socket = server.accept()) {
            new DataInputStream(socket.getInputStream()).readFully(memory);
        } catch (IOException e) {
            throw new HypervisorException("the memory did not arrive: " + e.getMessage(), e);
        }
        events.add("await");
        return stats(control);
    }

    @Override
    public MigrationStats sendMemory(String dataUri, MigrationControl control) throws HypervisorException {
        String address = dataUri.substring("tcp:".length());
        int colon = address.lastIndexOf(':');
        try (Socket socket = new Socket(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)))) {
            OutputStream out = socket.getOutputStream();
            out.write(memory, 0, 4096);
            out.flush();
            if (whileSending != null) {
                whileSending.run();
                while (!control.aborted()) {
                    Thread.sleep(10);
                }
                throw new HypervisorException("migration job: canceled by client");
            }
            out.write(memory, 4096, memory.length - 4096);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted", e);
        } catch (IOException e) {
            throw new HypervisorException("the memory could not be sent: " + e.getMessage(), e);
        }
        running = false; // switch-over
        events.add("send " + dataUri);
        return stats(control);
    }

    @Override
    public MigrationStats sendMemory(OutputStream out, MigrationControl control) throws IOException, HypervisorException {
        events.add("stream out");
        return super.sendMemory(out, control);
    }

    /** Through the core's streams too, the hypervisor's word is all there is: not verified. */
    @Override
    public MigrationStats receiveMemory(InputStream in, MigrationControl control) throws IOException, HypervisorException {
        super.receiveMemory(in, control);
        events.add("stream in");
        return stats(control);
    }

    @Override
    public boolean awaitGraphicsClientsMigrated(long timeoutMillis) {
        events.add("graphics wait");
        return true;
    }

    @Override
    public void destroy() {
        events.add("destroy");
        super.destroy();
    }

    private static MigrationStats stats(MigrationControl control) {
        MigrationStats stats = new MigrationStats(1, SIZE, SIZE, 0, SIZE, 0, 1, 1, 0, 4096, false);
        control.progress(stats);
        return stats;
    }
}
