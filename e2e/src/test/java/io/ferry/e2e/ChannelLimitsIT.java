package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * What one client can take from a daemon, with real daemons and sockets: clients that never finish their headers
 * hold neither threads nor descriptors beyond the channel's bounds while others are served, and a peer that
 * accepts and never answers costs a call its read timeout, not a thread forever.
 */
public class ChannelLimitsIT {
    private static final int SLOW_CONNECTIONS = 10_000;
    private static final int WORKERS = 114;

    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.standard();

    @Test
    public void tenThousandSlowConnectionsWhileAClientListsDomainsAndAMigrationCompletes() throws Exception {
        DaemonProcess source = HOSTS.source;
        String digest = source.boot(SimDomain.idle("flooded", 32));
        Figures before = Figures.of(source.pid());
        URI uri = URI.create(source.url());
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<SocketChannel> slow = new ArrayList<>();
        Thread flood = new Thread(() -> {
            byte[] partial = "GET /v1/domains HTTP/1.1\r\nHost: slow\r\nX-Never: ending".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < SLOW_CONNECTIONS; i++) {
                try {
                    SocketChannel channel = SocketChannel.open();
                    slow.add(channel);
                    channel.socket().connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
                    channel.write(ByteBuffer.wrap(partial));
                    opened.incrementAndGet();
                } catch (IOException e) {
                    refused.incrementAndGet();
                }
            }
        }, "slow-clients");
        Figures.Sampler sampler = new Figures.Sampler(source.pid());
        flood.start();
        sampler.start();
        try {
            Poll.until("1,000 slow connections", () -> opened.get() >= 1_000);
            String list = source.ferryOk("list", "--all").out();
            assertTrue(list, list.contains(" flooded "));
            int openedAtList = opened.get();
            HOSTS.migrateOk("flooded", "--live");
            int openedAtMigration = opened.get();
            flood.join();
            source.ferryOk("list", "--all");
            sampler.stop();
            System.out.printf("%d slow connections opened (%d refused or dropped at connect), %d by the time `list` answered, %d by"
                    + " the time the migration completed; source daemon before: %s; at most during the flood: %s%n", opened.get(),
                    refused.get(), openedAtList, openedAtMigration, before, sampler.max());
            // the channel's workers (ChannelServer.WORKERS): 40 peer calls, 48 peer streams, 24 for operators, Jetty's 2
            assertTrue("threads bounded by the channel's workers: " + sampler.max(),
                    sampler.max().threads() <= before.threads() + WORKERS + 16);
            assertTrue("descriptors bounded by the connection limit: " + sampler.max(),
                    sampler.max().descriptors() <= before.descriptors() + 1024 + 64);
            HOSTS.assertRunsOnlyOn(HOSTS.destination, "flooded", digest);
        } finally {
            flood.join();
            for (SocketChannel channel : slow) {
                channel.close();
            }
        }
        HOSTS.destination.ferryOk("destroy", "flooded");
    }

    @Test
    public void aFrozenPeerCostsACallItsReadTimeoutWhileTheDaemonsOtherCallsGoOn() throws Exception {
        DaemonProcess source = HOSTS.source;
        String digest = source.boot(SimDomain.idle("patient", 16));
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket frozen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!frozen.isClosed()) {
                    try {
                        held.add(frozen.accept()); // accepted, never read, never answered
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "frozen-peer");
            acceptor.setDaemon(true);
            acceptor.start();
            String frozenUri = "ferry+tcp://127.0.0.1:" + frozen.getLocalPort();

            Installation.Running migrate = source.ferryInBackground("migrate", "--live", "--p2p", "patient", frozenUri);
            // the source daemon's call has reached the frozen peer: it waits out its read timeout (30 s) from now on
            Poll.until("the migration's call to reach the frozen peer", () -> !held.isEmpty());
            assertTrue(source.ferryOk("list", "--all").out().contains(" patient "));
            assertEquals("running (booted)", source.dominfo("patient").get("State"));
            assertTrue("the migration's call to the frozen peer still waits", migrate.isAlive());
            // a command line's own call to the frozen peer costs it the same read timeout, and says so
            Installation.Result cli = Installation.ferry("-c", frozenUri, "list");
            assertEquals(cli.toString(), "error: connection to " + frozenUri + " lost: Read timed out\n", cli.err());

            Installation.Result migrated = migrate.await();
            assertEquals(migrated.toString(), 1, migrated.exit());
            assertEquals(migrated.toString(), "error: connection to " + frozenUri + " lost: Read timed out\n", migrated.err());
            assertEquals("running (booted)", source.dominfo("patient").get("State"));
            assertEquals(digest, source.digest("patient"));
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        source.ferryOk("destroy", "patient");
    }

    /** A process's threads and open descriptors, from /proc. */
    record Figures(long threads, long descriptors, long rssKiB) {
        static Figures of(long pid) throws IOException {
            long threads = 0;
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Threads:")) {
                    threads = Long.parseLong(line.substring(8).trim());
                } else if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.substring(6).replace("kB", "").trim());
                }
            }
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                return new Figures(threads, fds.count(), rss);
            }
        }

        @Override
        public String toString() {
            return threads + " threads, " + descriptors + " descriptors, " + rssKiB / 1024 + " MiB resident";
        }

        /** The highest figures seen, sampled every 100 ms on a thread of its own. */
        static final class Sampler {
            private final long pid;
            private final AtomicLong threads = new AtomicLong();
            private final AtomicLong descriptors = new AtomicLong();
            private final AtomicLong rss = new AtomicLong();
            private final Thread thread;
            private volatile boolean running = true;

            Sampler(long pid) {
                this.pid = pid;
                this.thread = new Thread(this::run, "figures");
            }

            void start() {
                thread.start();
            }

            private void run() {
                while (running) {
                    try {
                        Figures now = of(pid);
                        threads.accumulateAndGet(now.threads(), Math::max);
                        descriptors.accumulateAndGet(now.descriptors(), Math::max);
                        rss.accumulateAndGet(now.rssKiB(), Math::max);
                        Thread.sleep(100);
                    } catch (IOException | RuntimeException e) {
                        // a descriptor closed while listed: the next sample counts
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }

            void stop() throws InterruptedException {
                running = false;
                thread.join();
            }

            Figures max() {
                return new Figures(threads.get(), descriptors.get(), rss.get());
            }
        }
    }
}
