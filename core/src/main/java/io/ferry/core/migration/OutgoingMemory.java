package io.ferry.core.migration;

import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Perform;
import java.io.OutputStream;
import java.net.URI;

/**
 * How an outgoing migration's memory leaves: by the VM's own connection (QEMU to QEMU), the core's data channel or
 * the control channel's tunnel, always to where the destination daemon said, never to where the caller says.
 */
final class OutgoingMemory {
    private final Migrations m;

    OutgoingMemory(Migrations migrations) {
        this.m = migrations;
    }

    /**
     * Sends the memory where the destination daemon says it goes, asked over the authenticated channel: the data
     * URI of the Perform request must be that one, so no caller can send a guest's memory anywhere else.
     */
    MigrationStats send(Outgoing o, Perform request) throws Exception {
        VirtualMachine vm = o.domain.vm();
        if (vm == null) {
            throw new MigrationException("domain " + o.domain.name() + " has no running VM to migrate");
        }
        Messages.Endpoint endpoint = m.peers.peer(request.destUri()).endpoint(o.id, o.key());
        if (endpoint.uuid() != null && !endpoint.uuid().equalsIgnoreCase(o.destination.uuid().toString())) {
            // a driver that crossed two migrations' wires: protocol 2 has no cookie whose UUID would have told
            throw new MigrationException("the destination prepared domain " + endpoint.domain() + " (" + endpoint.uuid()
                    + ") under migration " + o.id + ", not " + o.destination.name() + " (" + o.destination.uuid()
                    + "): the memory of " + o.domain.name() + " goes nowhere else");
        }
        o.destinationKeepsDefinition = endpoint.keepsDefinition();
        if (endpoint.journal() != null) {
            // before any memory leaves: from then on only that journal's "no record of it" means "never prepared"
            o.record(m.journal, e -> e.withPeerJournal(endpoint.journal()));
        }
        if (!endpoint.dataUri().equals(request.dataUri())) {
            throw new MigrationException("the data URI " + request.dataUri() + " was not handed out by the destination for"
                    + " migration " + o.id + " (it said " + endpoint.dataUri() + "): the memory of " + o.domain.name()
                    + " goes nowhere else");
        }
        if (!"tunnel".equals(endpoint.dataUri()) && endpoint.token() == null) {
            // the destination's VM listens itself (DirectMigration, QEMU to QEMU): no token, this VM connects
            if (!(vm instanceof DirectMigration direct)) {
                throw new MigrationException("the destination offered its hypervisor's own data connection ("
                        + endpoint.dataUri() + "), which the VM of domain " + o.domain.name() + " cannot use");
            }
            try (DestinationWatch watch = DestinationWatch.start(m.peers.peer(request.destUri()), o,
                    m.timing.driverTimeoutMillis() / 8)) {
                try {
                    return direct.sendMemory(endpoint.dataUri(), o.job);
                } catch (Exception e) {
                    if (watch.lost() != null) {
                        throw new MigrationException("lost connection to the destination host's daemon (" + watch.lost()
                                + "): the migration was canceled and " + o.domain.name() + " goes on here");
                    }
                    throw e;
                }
            }
        }
        if ("tunnel".equals(endpoint.dataUri())) {
            var upload = m.peers.peer(request.destUri()).tunnel(o.id, o.key());
            try {
                DataChannel.sendToken(upload.body(), endpoint.token());
                MigrationStats stats = vm.sendMemory(upload.body(), o.job);
                upload.finish();
                return stats;
            } catch (Exception e) {
                upload.abort();
                throw e;
            }
        }
        long silenceMillis = m.timing.dataSilenceMillis();
        String certifiedHost = certifiedHost(request.destUri());
        try (DataChannel.Connection connection = DataChannel.connect(endpoint.dataUri(), certifiedHost, m.dataTls,
                silenceMillis);
                OutputStream out = DataChannel.sending(connection, silenceMillis)) {
            DataChannel.sendToken(out, endpoint.token());
            MigrationStats stats = vm.sendMemory(out, o.job);
            DataChannel.endSend(connection, out, Boolean.TRUE.equals(endpoint.acknowledges()), silenceMillis);
            return stats;
        }
    }

    /**
     * The host the destination's data port must be certified for: the one of its URI, the operator's name for it,
     * which the control channel checked. The data URI the destination hands out names the address it listens at,
     * which a certificate naming its host by name alone (the README's "the host of the URI") does not name.
     */
    private static String certifiedHost(String destinationUri) throws MigrationException {
        String host;
        try {
            host = URI.create(destinationUri).getHost();
        } catch (IllegalArgumentException e) {
            host = null;
        }
        if (host == null) {
            throw new MigrationException("the destination's URI '" + destinationUri + "' names no host its data port's"
                    + " certificate could be checked against");
        }
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
