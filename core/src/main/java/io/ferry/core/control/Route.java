package io.ferry.core.control;

import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.Operation;

/**
 * One line of the control channel's routing table: an operation (method and path), who may call it, its handler and
 * the body it takes.
 *
 * @param party for {@link Access#PARTY}: the migration and key a call presents (null: the call names none)
 * @param bodyLimit the largest body read, in bytes; 0: the body is not read before the handler runs
 * @param bodyName what the body is, for the refusal of one over the limit ("domain definition")
 * @param keptAlive whether a call that runs long sends the client a space every few seconds ahead of its reply
 *        (not for streams: their data keeps them alive)
 */
record Route(Operation operation, Access access, Handler handler, PartyKey party, int bodyLimit, String bodyName,
        boolean keptAlive) {
    /** Who may call an operation. */
    enum Access {
        /** Operators only. */
        OPERATOR,
        /** Operators, and peers that take part in the migration the call names (they present its key). */
        PARTY,
        /** Every caller the daemon admits. */
        ANY
    }

    /** Answers one call. */
    interface Handler {
        Reply handle(Call call) throws Exception;
    }

    /** The migration a call names and the key it presents, for a peer's call. */
    interface PartyKey {
        MigrationKey of(Call call) throws Exception;
    }

    static Route of(Operation operation, Access access, Handler handler) {
        return new Route(operation, access, handler, null, 0, null, true);
    }

    /** The same route reading a body of at most {@code limit} bytes before its handler runs. */
    Route body(int limit, String name) {
        return new Route(operation, access, handler, party, limit, name, keptAlive);
    }

    /** The same route, callable by the peers that present the key of the migration {@code key} names. */
    Route party(PartyKey key) {
        return new Route(operation, Access.PARTY, handler, key, bodyLimit, bodyName, keptAlive);
    }

    /** Whether the call is a stream (its data keeps it alive), which a peer's limits count apart from its other calls. */
    boolean stream() {
        return !keptAlive;
    }

    /** The same route without the heartbeat: a stream. */
    Route streamed() {
        return new Route(operation, access, handler, party, bodyLimit, bodyName, false);
    }
}
