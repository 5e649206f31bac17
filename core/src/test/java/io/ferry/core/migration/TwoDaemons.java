package io.ferry.core.migration;

import static org.junit.Assert.assertThrows;

import io.ferry.api.host.HostSettings;
import io.ferry.core.TestDirectories;
import io.ferry.core.cookie.TestSections;
import io.ferry.plugin.lockstate.FileLockManager;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A source and a destination daemon sharing a lease manager, and ways to drive migrations between them: the
 * real {@link MigrationDriver}, or one phase at a time as a driver that vanishes half-way would.
 */
final class TwoDaemons {
    static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);
    static final MigrationFlags P2P = new MigrationFlags(true, true, false, false, false, false, false);
    static final MigrationFlags PERSISTENT = new MigrationFlags(true, false, false, false, true, false, false);
    static final MigrationFlags PERSISTENT_UNDEFINE_SOURCE = new MigrationFlags(true, false, false, false, true, true, false);

    final Network network = new Network();
    final SharedLeases leases = new SharedLeases();
    final TestHost source;
    final TestHost destination;
    final List<String> warnings = new CopyOnWriteArrayList<>();

    TwoDaemons() throws Exception {
        this(true);
    }

    TwoDaemons(boolean withLeases) throws Exception {
        source = new TestHost("source", network, withLeases ? leases : null);
        destination = new TestHost("destination", network, withLeases ? leases : null);
    }

    /** Two daemons whose leases are the embedded lock manager's, in a new directory of the test's. */
    static TwoDaemons withFileLeases() throws Exception {
        return withFileLeases(TestDirectories.create("ferry-domain-leases"));
    }

    /** Both hosts on one lease directory through the file lock manager, carrying the lease state in the cookies. */
    static TwoDaemons withFileLeases(Path leases) throws Exception {
        TwoDaemons d = new TwoDaemons().carryingLeaseState();
        for (TestHost host : new TestHost[] {d.source, d.destination}) {
            FileLockManager manager = fileLockManager(leases);
            host.domains().addLockManager("file", () -> manager);
        }
        return d;
    }

    /**
     * The file lock manager on a shared lease directory: its settings name the directory by its absolute path, which
     * the host resolves to itself.
     */
    static FileLockManager fileLockManager(Path leases) {
        HostSettings host = proxy(HostSettings.class, args -> Path.of((String) args[0]));
        try {
            return new FileLockManager(host, proxy(FileLockManager.Config.class, args -> leases.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An instance of {@code type} whose one method in use answers {@code answer}. */
    private static <T> T proxy(Class<T> type, java.util.function.Function<Object[], Object> answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (instance, method, args) -> answer.apply(args)));
    }

    /** Both hosts have the lockstate section: the lease state goes in the cookies, and Finish presents it. */
    TwoDaemons carryingLeaseState() {
        source.extraSections.add(TestSections.lockstate());
        destination.extraSections.add(TestSections.lockstate());
        return this;
    }

    Peer peer(TestHost host) {
        return network.peer(host.uri);
    }

    MigrationDriver driver() {
        return new MigrationDriver(new MigrationDriver.Listener() {
            @Override
            public void step(String phase, String host, String cookieOut) {
            }

            @Override
            public void warning(String message) {
                warnings.add(message);
            }
        }, Duration.ofMillis(50), 0);
    }

    /** Client-managed: the driver runs here, against both daemons. */
    Finished migrate(String guest) throws ChannelException {
        return migrate(guest, LIVE);
    }

    Finished migrate(String guest, MigrationFlags flags) throws ChannelException {
        return driver().run(peer(source), peer(destination), new Messages.Migrate(guest, destination.uri, flags, null, null, 0));
    }

    /** The driver's failure, which must come. */
    ChannelException migrationFails(String guest) {
        try {
            migrate(guest);
        } catch (ChannelException e) {
            return e;
        }
        throw new AssertionError("the migration of " + guest + " succeeded");
    }

    /** Begin, Prepare and Perform by hand, with no keepalive: a driver that may vanish at any point. */
    final class ByHand {
        final MigrationFlags flags;
        final Begun begun;
        Prepared prepared;
        Performed performed;
        private boolean listsSections = true;

        ByHand(String guest, MigrationFlags flags) throws ChannelException {
            this.flags = flags;
            begun = peer(source).begin(new Begin(guest, flags, null, null, 0));
        }

        /** A driver whose Prepare and Perform list no sections (no {@code <sections>}: another make of driver). */
        ByHand listingNoSections() {
            listsSections = false;
            return this;
        }

        ByHand prepare() throws ChannelException {
            return prepare(flags);
        }

        /** Prepare with flags of its own: a driver that gives Prepare other flags than it gave Begin. */
        ByHand prepare(MigrationFlags prepareFlags) throws ChannelException {
            prepared = peer(destination).prepare(new Prepare(begun.id(), begun.key(), prepareFlags, begun.domainXml(),
                    begun.cookie(), listsSections ? begun.sections() : null, source.uri));
            return this;
        }

        /**
         * Perform, and then the wait until the destination has taken the memory in: its reply can come back before
         * the destination's receiving thread has noted the end (the start of its wait for Finish), and a test that
         * moves the clock on at once would leave that wait to start in its future.
         */
        ByHand perform() throws ChannelException {
            performed = peer(source).perform(new Perform(begun.id(), begun.key(), prepared.dataUri(), prepared.cookie(),
                    destination.uri, listsSections ? prepared.sections() : null));
            if (!flags.offline()) {
                destination.awaitMemoryEnded(begun.id());
            }
            return this;
        }

        Finished finish() throws ChannelException {
            return peer(destination).finish(new Messages.Finish(begun.id(), begun.key(), false, performed.cookie()));
        }

        /** What a driver does after a failure: cancel on the destination, then on the source. */
        void cancel() throws ChannelException {
            peer(destination).finish(new Messages.Finish(begun.id(), begun.key(), true, null));
            confirm(true, null);
        }

        void confirm(boolean cancelled, String cookie) throws ChannelException {
            peer(source).confirm(new Messages.Confirm(begun.id(), begun.key(), cancelled, cookie));
        }
    }

    ByHand byHand(String guest) throws ChannelException {
        return new ByHand(guest, LIVE);
    }

    ByHand byHand(String guest, MigrationFlags flags) throws ChannelException {
        return new ByHand(guest, flags);
    }

    /**
     * Runs {@code call} on a thread of its own, and returns once that waits with a time limit (for a domain's job its
     * caller holds) or has ended.
     */
    static void startWaiting(Runnable call, String name) {
        Thread calling = new Thread(call, name);
        calling.start();
        while (calling.isAlive() && calling.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
    }

    /**
     * Waits until {@code thread} waits for a domain's job lock (not any wait of a thread that runs a job), or ended
     * (the assertions then say why); a minute at most, a hang guard: a thread that never gets there fails the test.
     */
    static void awaitWaitingForAJob(Thread thread) throws InterruptedException {
        long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
        while (thread.getState() != Thread.State.TERMINATED && !waitsForAJob(thread)) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError(thread.getName() + " never waited for a domain's job");
            }
            Thread.sleep(1);
        }
    }

    private static boolean waitsForAJob(Thread thread) {
        return thread.getState() == Thread.State.TIMED_WAITING && java.util.Arrays.stream(thread.getStackTrace())
                .filter(frame -> frame.getClassName().startsWith("io.ferry.")).findFirst()
                .map(frame -> frame.getMethodName().equals("awaitJob")).orElse(false);
    }

    /** Begin and Prepare of {@code guest}, then its source killed in Perform's final paused round (the switch-over). */
    ByHand sourceKilledAtTheSwitchOver(String guest) throws Exception {
        ByHand run = byHand(guest).prepare();
        source.vm(guest).atSwitchOver = () -> {
            throw new Crash();
        };
        assertThrows(Crash.class, run::perform);
        return run;
    }
}
