package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code domjobabort} of one migration of a domain, named by its id: the Ctrl-C of the {@code ferry migrate} that chose
 * that id. Another migration that holds the domain (while this one's Begin waits for the domain's job), or one begun
 * after this one ended, is another operator's and is left alone. A migration this host has no record of has not begun:
 * it is withdrawn, so its Begin, still on its way or waiting for the job, is refused. The domain need not be here
 * still when its migration answers (a transient one a completed migration took away): otherwise it must be.
 */
final class AbortById {
    private static final Logger LOG = LoggerFactory.getLogger(AbortById.class);

    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;
    private final Settlement settlement;

    AbortById(Migrations migrations, SourceSide source, DestinationSide destination, Settlement settlement) {
        this.m = migrations;
        this.source = source;
        this.destination = destination;
        this.settlement = settlement;
    }

    /** @return {@link DaemonClient#ABORTED} or {@link DaemonClient#WITHDRAWN}, with what was done */
    Done abort(String domainName, String id) throws Exception {
        Optional<Done> underWay = abortUnderWay(domainName, id);
        if (underWay.isPresent()) {
            return underWay.get();
        }
        Optional<Journal.Entry> recorded = m.journal.findOrRefuse(id);
        if (recorded.isPresent()) {
            // a Begin registers its migration, then records it, a Prepare the other way round: one whose record was
            // written since the look-up above is looked for again
            Optional<Done> since = recorded.get().step().isFinal() ? Optional.empty() : abortUnderWay(domainName, id);
            return since.isPresent() ? since.get() : ended(domainName, id, recorded.get());
        }
        // looked up before the withdrawal: an id withdrawn under a name no domain has would refuse any domain's Begin
        Domain domain = m.domains.get(domainName);
        Optional<Outgoing> out = source.findOrWithdraw(id);
        if (out.isPresent()) { // its Begin registered it a moment ago
            return abortOutgoing(domainName, id, out.get());
        }
        String holder = domain.migration();
        LOG.info("migration {} of {} withdrawn by the operator before it began", id, domainName);
        return new Done(DaemonClient.WITHDRAWN, "Migration " + id + " of " + domainName + " had not begun: it will not begin"
                + " now" + (holder == null ? "" : "; migration " + holder + " of " + domainName + " goes on"));
    }

    /** Aborts migration {@code id} if it is under way here, either side. */
    private Optional<Done> abortUnderWay(String domainName, String id) throws Exception {
        Optional<Outgoing> out = source.find(id);
        if (out.isPresent()) {
            return Optional.of(abortOutgoing(domainName, id, out.get()));
        }
        Optional<Incoming> in = destination.find(id);
        if (in.isPresent()) {
            return Optional.of(aborted(destination.abortByOperator(requireOf(domainName, id, in.get().domain.name(),
                    in.get()))));
        }
        return Optional.empty();
    }

    private Done abortOutgoing(String domainName, String id, Outgoing out) throws Exception {
        return aborted(settlement.abort(requireOf(domainName, id, out.domain.name(), out)));
    }

    /** {@code migration}, if it is of {@code domainName}; refused as of a domain not found when none has that name. */
    private <T> T requireOf(String domainName, String id, String itsDomain, T migration) throws Exception {
        if (!itsDomain.equals(domainName)) {
            m.domains.get(domainName);
            throw new MigrationException("migration " + id + " is not a migration of domain " + domainName + " (it is "
                    + itsDomain + "'s): nothing was aborted");
        }
        return migration;
    }

    private static Done aborted(String done) {
        return new Done(DaemonClient.ABORTED, done);
    }

    /** The answer for a migration that ended here: aborted already, or too late. */
    private Done ended(String domainName, String id, Journal.Entry entry) throws Exception {
        requireOf(domainName, id, entry.domain(), entry);
        Step step = entry.step();
        if (step == Step.ABORTED) {
            return aborted("Migration " + id + " of " + domainName + " was aborted already"
                    + (entry.role() == Journal.Role.SOURCE ? ": " + domainName + " runs here" : ""));
        }
        throw new MigrationException(step.isCommitted() || step == Step.CONFIRMED ? "too late to abort migration " + id
                + ": it completed" : "migration " + id + " of " + domainName + " is not under way on this host: nothing was aborted");
    }
}
