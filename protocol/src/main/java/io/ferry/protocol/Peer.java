package io.ferry.protocol;

import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import java.util.Set;

/** One daemon's side of the migration protocol, as the {@link MigrationDriver} calls it. */
public interface Peer {
    String uri();

    /** The protocol versions the daemon speaks (2, 3). */
    Set<Integer> protocols() throws ChannelException;

    Begun begin(Begin request) throws ChannelException;

    Prepared prepare(Prepare request) throws ChannelException;

    Performed perform(Perform request) throws ChannelException;

    Finished finish(Finish request) throws ChannelException;

    void confirm(Confirm request) throws ChannelException;

    Fate fate(String migrationId) throws ChannelException;
}
