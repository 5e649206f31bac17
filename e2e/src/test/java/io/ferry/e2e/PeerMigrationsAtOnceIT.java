package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Issue 11: sixteen migrations at once between two daemons that are each other's TLS peers, peer to peer and
 * tunnelled, so that every one holds a call of the source daemon on the destination's channel for its whole memory
 * (beside its keepalives, its Prepare fetching its snapshots from the source, its Finish), must all arrive; and so
 * must those of two sources migrating sixteen each to one destination at once.
 */
public class PeerMigrationsAtOnceIT {
    private static final int MIGRATIONS = 16;
    private static final int AT_A_TIME = 4;
    private static TestCa ca;

    @BeforeClass
    public static void makeCertificates() throws Exception {
        ca = TestCa.make("at-once", "host-a", "host-b", "host-c", "client");
    }

    @Test
    public void sixteenTunnelledPeerToPeerMigrationsAtOnceAllArriveWithTheirMemory() throws Exception {
        try (DaemonProcess a = DaemonProcess.start("host-a", ca.daemonFlags("host-a"));
                DaemonProcess b = DaemonProcess.start("host-b", ca.daemonFlags("host-b"))) {
            List<Guest> guests = guests(a, "a");
            migrateAtOnce(guests, b);
        }
    }

    @Test
    public void twoSourcesMigratingSixteenEachToOneDestinationAtOnceAllArrive() throws Exception {
        try (DaemonProcess a = DaemonProcess.start("host-a", ca.daemonFlags("host-a"));
                DaemonProcess b = DaemonProcess.start("host-b", ca.daemonFlags("host-b"));
                DaemonProcess c = DaemonProcess.start("host-c", ca.daemonFlags("host-c"))) {
            List<Guest> guests = new ArrayList<>(guests(a, "a"));
            guests.addAll(guests(c, "c"));
            migrateAtOnce(guests, b);
        }
    }

    /** A guest running on {@code source} with a snapshot, and its memory's digest there. */
    private record Guest(DaemonProcess source, SimDomain domain, String digest) {
    }

    private static List<Guest> guests(DaemonProcess source, String prefix) throws Exception {
        List<Integer> numbers = IntStream.range(0, MIGRATIONS).boxed().toList();
        return fewAtATime(numbers, i -> {
            SimDomain domain = SimDomain.idle("at-once-" + prefix + i, 16);
            ca.ok(source, "define", domain.file().toString());
            ca.ok(source, "start", domain.name());
            ca.ok(source, "snapshot-create-as", domain.name(), "before");
            return new Guest(source, domain, ca.field(source, domain.name(), "Memory digest:"));
        });
    }

    /**
     * {@code step} applied to each item, {@value #AT_A_TIME} at a time: the set-up and the checks are a few hundred
     * {@code ferry} commands, each its own JVM, which one after another leave a core idle.
     */
    private static <T, R> List<R> fewAtATime(List<T> items, Step<T, R> step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(AT_A_TIME);
        try {
            List<Future<R>> results = new ArrayList<>();
            for (T item : items) {
                results.add(pool.submit(() -> step.apply(item)));
            }
            List<R> done = new ArrayList<>();
            for (Future<R> result : results) {
                try {
                    done.add(result.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : new IllegalStateException(e.getCause());
                }
            }
            return done;
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Step<T, R> {
        R apply(T item) throws Exception;
    }

    /** Migrates every guest to {@code destination} at once; each must arrive running, with its memory and snapshot. */
    private static void migrateAtOnce(List<Guest> guests, DaemonProcess destination) throws Exception {
        // a capped bandwidth keeps each tunnel open for seconds, so that all of them are under way together
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Installation.Result>> migrations = new ArrayList<>();
        for (Guest guest : guests) {
            migrations.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return ca.ferry("client", guest.source(), "migrate", "--live", "--p2p", "--tunnelled", "--bandwidth", "4",
                            guest.domain().name(), destination.url());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, runnable -> new Thread(runnable).start()));
        }
        go.countDown();
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < guests.size(); i++) {
            Installation.Result result = migrations.get(i).join();
            if (result.exit() != 0) {
                failed.add(guests.get(i).domain().name() + ": " + result.err().strip());
            }
        }
        assertEquals("migrations that failed", List.of(), failed);
        fewAtATime(guests, guest -> {
            String name = guest.domain().name();
            Map<String, String> info = DaemonProcess.fields(ca.ok(destination, "dominfo", name));
            assertEquals(name, "running (migrated)", info.get("State"));
            assertEquals(name, guest.digest(), info.get("Memory digest"));
            assertEquals(name, "before", ca.ok(destination, "snapshot-current", name, "--name").out().strip());
            return name;
        });
    }
}
