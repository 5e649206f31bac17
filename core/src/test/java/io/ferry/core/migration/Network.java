package io.ferry.core.migration;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Peer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * The test hosts and what stands between them: a host can be down (calls to it are lost before they arrive)
 * and a call's reply can be lost after the call ran (the caller cannot tell which).
 */
final class Network implements Peers {
    /** The hosts' clock, which tests move on by hand. */
    final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_000_000);
    final Timing timing = new Timing(8_000, 60_000, 120_000, 300, 300, 30_000);

    private final Map<String, TestHost> hosts = new ConcurrentHashMap<>();
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final Set<String> namingNoJournal = ConcurrentHashMap.newKeySet();
    private final Set<String> lostReplies = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> calls = new ConcurrentHashMap<>();
    private final Map<String, Hold> holds = new ConcurrentHashMap<>();

    void add(TestHost host) {
        hosts.put(host.uri, host);
    }

    /** Time passes for every host; their watchdogs look at what it left unsettled. */
    void passes(long millis, TestHost... hosts) {
        clock.addAndGet(millis);
        for (TestHost host : hosts) {
            host.engine().tick();
        }
    }

    TestHost host(String uri) {
        return hosts.get(uri);
    }

    @Override
    public EnginePeer peer(String uri) {
        return new EnginePeer(this, uri);
    }

    /**
     * The daemon at {@code host}'s address answers as a build before journal words (139c5f6^) does: its endpoint, fate
     * and settle replies name no journal (an upgrade of it, or a rollback, is its {@link TestHost#restart} beside this).
     */
    void namesNoJournal(TestHost host, boolean earlier) {
        if (earlier) {
            namingNoJournal.add(host.uri);
        } else {
            namingNoJournal.remove(host.uri);
        }
    }

    boolean namesNoJournal(String uri) {
        return namingNoJournal.contains(uri);
    }

    void down(TestHost host) {
        down.add(host.uri);
    }

    void up(TestHost host) {
        down.remove(host.uri);
    }

    /** The next {@code call} ("finish", "perform", ...) to {@code host} runs, but its reply never comes back. */
    void loseReplyOf(TestHost host, String call) {
        lostReplies.add(host.uri + "/" + call);
    }

    /** A call held where it arrived, as by a handler that hangs (on a lock manager's hung store), until released. */
    static final class Hold {
        final CountDownLatch arrived = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
    }

    /** The next {@code call} ("settle", ...) to {@code host} hangs there until the hold is released. */
    Hold holdNext(TestHost host, String call) {
        Hold hold = new Hold();
        holds.put(host.uri + "/" + call, hold);
        return hold;
    }

    /** How many {@code call}s ("settle", ...) were made to {@code host}, whether it was up or not. */
    int calls(TestHost host, String call) {
        return calls.getOrDefault(host.uri + "/" + call, 0);
    }

    void arrive(String uri, String call) throws ChannelException {
        calls.merge(uri + "/" + call, 1, Integer::sum);
        if (down.contains(uri) || !hosts.containsKey(uri)) {
            throw new ChannelException("cannot connect to " + uri + ": Connection refused", false);
        }
        Hold hold = holds.remove(uri + "/" + call);
        if (hold != null) {
            hold.arrived.countDown();
            try {
                hold.released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChannelException("connection to " + uri + " lost: interrupted", false);
            }
        }
    }

    void answer(String uri, String call) throws ChannelException {
        if (lostReplies.remove(uri + "/" + call)) {
            throw new ChannelException("connection to " + uri + " lost: Connection reset", false);
        }
    }
}
