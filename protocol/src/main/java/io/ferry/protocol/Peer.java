package io.ferry.protocol;

import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Set;

/**
 * One daemon's side of the migration protocol: the five phases the {@link MigrationDriver} calls, the driver's
 * keepalive, the outcome questions, and the streams the two daemons of a migration open to each other.
 */
public interface Peer {
    String uri();

    /** The protocol versions the daemon speaks (2, 3). */
    Set<Integer> protocols() throws ChannelException;

    Begun begin(Begin request) throws ChannelException;

    Prepared prepare(Prepare request) throws ChannelException;

    Performed perform(Perform request) throws ChannelException;

    Finished finish(Finish request) throws ChannelException;

    void confirm(Confirm request) throws ChannelException;

    /** What became of a migration, without changing anything; {@code key} proves a peer daemon takes part in it. */
    Fate fate(String migrationId, String key) throws ChannelException;

    /**
     * Destination: aborts the migration unless it committed, and says which it is ({@link Outcome#COMMITTED} or
     * {@link Outcome#ABORTED}); a Finish under way is waited for. What a source asks before it resumes or stops
     * its copy of the domain, with the lease state to take the domain's leases back with when the destination held
     * them ({@link Fate#leaseState()}).
     */
    Fate settle(String migrationId, String key) throws ChannelException;

    /** The driver is alive: a daemon that hears nothing of a migration's driver for a while settles it alone. */
    void keepalive(String migrationId, String key) throws ChannelException;

    /** Source daemon to destination daemon: where the memory of a migration goes, and the token that proves it. */
    Messages.Endpoint endpoint(String migrationId, String key) throws ChannelException;

    /** Source daemon to destination daemon: the tunnelled memory stream of a migration, for the holder of its key. */
    Upload tunnel(String migrationId, String key) throws ChannelException;

    /** Destination daemon to source daemon: the side stream a source section offered. */
    InputStream sideStream(String migrationId, String key, String feature) throws ChannelException;

    /** A request body being streamed. */
    interface Upload {
        OutputStream body();

        /** Ends the body and waits for the peer's answer. */
        void finish() throws ChannelException;

        /** Drops the stream without an answer. */
        void abort();
    }
}
