package io.ferry.e2e;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.MigrationFlags;

/**
 * A client-managed live migration driven one phase at a time over the daemons' control channels, so that a
 * test can stop, kill or restart anything between two phases (what {@code MigrationDriver} does in one go).
 */
final class Phases {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);

    final HttpPeer source;
    final HttpPeer destination;
    final String id;
    final String key;
    private final Begun begun;
    Prepared prepared;
    private Performed performed;

    private Phases(HttpPeer source, HttpPeer destination, Begun begun) {
        this.source = source;
        this.destination = destination;
        this.begun = begun;
        this.id = begun.id();
        this.key = begun.key();
    }

    /** Begin on the source: the migration's cookie baked, nothing yet on the destination. */
    static Phases begun(DaemonProcess from, DaemonProcess to, String domain) throws Exception {
        return begun(from, to, domain, 0);
    }

    /** ... with the memory's bandwidth capped at {@code bandwidthMiB} MiB/s (0: none). */
    static Phases begun(DaemonProcess from, DaemonProcess to, String domain, long bandwidthMiB) throws Exception {
        HttpPeer source = new HttpPeer(new ControlClient(from.url()));
        return new Phases(source, new HttpPeer(new ControlClient(to.url())),
                source.begin(new Begin(domain, LIVE, null, null, bandwidthMiB)));
    }

    /** Begin on the source, Prepare on the destination: the incoming VM waits for its memory. */
    static Phases throughPrepare(DaemonProcess from, DaemonProcess to, String domain) throws Exception {
        return throughPrepare(from, to, domain, 0);
    }

    /** ... with the memory's bandwidth capped at {@code bandwidthMiB} MiB/s (0: none). */
    static Phases throughPrepare(DaemonProcess from, DaemonProcess to, String domain, long bandwidthMiB) throws Exception {
        return begun(from, to, domain, bandwidthMiB).prepare();
    }

    /** Prepare on the destination, after Begin. */
    Phases prepare() throws ChannelException {
        prepared = destination.prepare(new Prepare(id, key, LIVE, begun.domainXml(), begun.cookie(), begun.sections(),
                source.uri()));
        return this;
    }

    /** ... and Perform on the source: the VM is paused on both hosts. */
    static Phases throughPerform(DaemonProcess from, DaemonProcess to, String domain) throws Exception {
        return throughPrepare(from, to, domain).perform();
    }

    Phases perform() throws ChannelException {
        performed = source.perform(new Perform(id, key, prepared.dataUri(), prepared.cookie(), destination.uri(),
                prepared.sections()));
        return this;
    }

    Performed performed() {
        return performed;
    }

    Finished finish(boolean cancelled) throws ChannelException {
        return destination.finish(new Finish(id, key, cancelled, cancelled ? null : performed.cookie()));
    }

    void confirm(Finished finished) throws ChannelException {
        source.confirm(new Confirm(id, key, false, finished.cookie()));
    }
}
