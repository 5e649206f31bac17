package io.ferry.protocol;

import java.time.Duration;
import java.util.List;

/**
 * A migration driver's sign of life: while a migration runs, its driver tells both daemons every
 * {@code interval} that it is still there, on a thread of its own, so that a call that takes minutes (a
 * Perform moving gigabytes) does not look like silence. A daemon that hears nothing for a few intervals takes
 * its driver for gone and settles the migration by itself (libvirt's keepalive does the same, 5 s x 5).
 */
public final class Keepalive implements AutoCloseable {
    /** How often a driver speaks up; daemons give up on it after {@code 4 x} this by default. */
    public static final Duration INTERVAL = Duration.ofSeconds(2);

    private final Thread thread;

    private Keepalive(Thread thread) {
        this.thread = thread;
    }

    /** Starts telling {@code peers} about migration {@code id}; {@link #close} stops it. */
    public static Keepalive start(Duration interval, String id, String key, List<Peer> peers) {
        Thread thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (Peer peer : peers) {
                    try {
                        peer.keepalive(id, key);
                    } catch (ChannelException e) {
                        // a peer that does not hear us settles the migration by itself; the phase calls report the rest
                    }
                }
                try {
                    Thread.sleep(interval.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "ferry-keepalive-" + id.substring(0, Math.min(8, id.length())));
        thread.setDaemon(true);
        thread.start();
        return new Keepalive(thread);
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
