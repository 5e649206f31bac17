package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.DaemonClient;
import java.util.Optional;

/**
 * {@code domjobabort NAME}: stops whichever migration the domain takes part in here, as the source ({@link Settlement})
 * or the destination, if it still can. {@link AbortById} is the Ctrl-C of one {@code ferry migrate}.
 */
final class AbortByDomain {
    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;
    private final Settlement settlement;

    AbortByDomain(Migrations migrations, SourceSide source, DestinationSide destination, Settlement settlement) {
        this.m = migrations;
        this.source = source;
        this.destination = destination;
        this.settlement = settlement;
    }

    /** @return what was done */
    String abort(String domainName) throws Exception {
        Optional<Outgoing> out = source.ofDomain(domainName);
        if (out.isPresent()) {
            try (var tag = MigrationLog.tag(out.get().id)) {
                return settlement.abort(out.get());
            }
        }
        Optional<Incoming> in = destination.ofDomain(domainName);
        if (in.isPresent()) {
            try (var tag = MigrationLog.tag(in.get().id)) {
                return destination.abortByOperator(in.get());
            }
        }
        String claimed = m.domains.find(domainName).map(Domain::migration).orElse(null);
        if (claimed != null) { // recovery claimed it at the start, and takes it in hand once it can
            throw new MigrationException("Requested operation is not valid: migration " + claimed + " of " + domainName
                    + " is taken in hand again after the daemon's restart once its VM is re-attached and its lock manager is"
                    + " there (see the log): abort it then");
        }
        throw new MigrationException(DaemonClient.NO_ACTIVE_JOB);
    }
}
