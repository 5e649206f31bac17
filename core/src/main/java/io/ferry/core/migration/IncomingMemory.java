package io.ferry.core.migration;

import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an incoming migration's memory arrives (the VM's own listener, the core's data channel or the control
 * channel's tunnel), and Finish's wait for it: each way completes the migration's memory future, or fails it with
 * the reason Finish reports.
 */
final class IncomingMemory {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingMemory.class);
    private static final long WAIT_SECONDS = 120;

    private final Migrations m;

    IncomingMemory(Migrations migrations) {
        this.m = migrations;
    }

    /**
     * Listens for the memory of the paused incoming VM; returns the data URI. A VM that moves its memory over a
     * connection of its own ({@link DirectMigration}: QEMU to QEMU) listens itself, unless the control channel is
     * TLS: that connection carries the memory in the clear, so such a daemon keeps to the core's own.
     *
     * @param host where either listens ({@link DataAddress}); null when tunnelled
     */
    String listen(Incoming in, VirtualMachine vm, boolean tunnelled, InetAddress host) throws Exception {
        in.vm = vm;
        if (tunnelled) {
            return "tunnel";
        }
        if (vm instanceof DirectMigration direct && m.dataTls == null) {
            String uri = direct.listenForMemory(host.getHostAddress());
            in.direct = true;
            Thread receiver = new Thread(() -> {
                try {
                    arrive(in, () -> direct.awaitMemory(in.job));
                } catch (Exception e) {
                    // recorded: Finish reports it
                }
            }, "ferry-incoming-" + in.id.substring(0, Math.min(8, in.id.length())));
            receiver.setDaemon(true);
            receiver.start();
            return uri;
        }
        in.listener = DataChannel.listen(host, m.dataTls);
        DataChannel.acceptInBackground(in.listener, in.token, in.id, m.timing.dataSilenceMillis(), stream -> receive(in, stream),
                failure -> failed(in, failure));
        return DataChannel.uri(in.listener);
    }

    /** Receives the memory stream (after its token was checked); completes the migration's memory future. */
    void receive(Incoming in, InputStream stream) throws Exception {
        if (!in.streamTaken.compareAndSet(false, true)) { // an abort takes it too: a stream late for it goes nowhere
            throw new MigrationException("the memory of migration " + in.id + " is already arriving, or the migration"
                    + " ended");
        }
        VirtualMachine vm = in.vm;
        if (vm == null) {
            throw new MigrationException("migration " + in.id + " has no incoming VM on this host to take its memory");
        }
        arrive(in, () -> vm.receiveMemory(stream, in.job));
    }

    /** Runs the transfer into the incoming VM and completes the migration's memory future, or records its failure. */
    private void arrive(Incoming in, Callable<MigrationStats> transfer) throws Exception {
        try {
            MigrationStats stats = transfer.call();
            in.job.progress(stats);
            in.memoryEndedAt = m.clock.getAsLong();
            in.memory.complete(stats);
        } catch (Exception e) {
            failed(in, e);
            throw e;
        }
    }

    private void failed(Incoming in, Exception failure) {
        String reason = String.valueOf(failure.getMessage());
        if (in.failure == null) {
            in.failure = reason;
        }
        LOG.warn("the memory of migration {} did not arrive: {}", in.id, reason);
        in.memoryEndedAt = m.clock.getAsLong();
        in.memory.completeExceptionally(failure);
    }

    /** Finish's wait for the memory, verified where the VM can say so. */
    static MigrationStats await(Incoming in) throws Exception {
        try {
            MigrationStats stats = in.memory.get(WAIT_SECONDS, TimeUnit.SECONDS);
            // a VM without a digest (QEMU) has only the hypervisor's word that it loaded the memory: taken as it is
            if (!stats.memoryVerified() && (in.domain.vm() == null || in.domain.vm().hasMemoryDigest())) {
                throw new MigrationException("the memory of domain " + in.spec.name() + " arrived but was not verified");
            }
            return stats;
        } catch (ExecutionException e) {
            throw new MigrationException("migration of " + in.spec.name() + " failed on the destination: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new MigrationException("the memory of domain " + in.spec.name() + " did not arrive within " + WAIT_SECONDS + " s");
        }
    }
}
