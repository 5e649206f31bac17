package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;

/** virsh's {@code snapshot-current NAME [--name] [SNAP]}: the current snapshot shown, its absence named, or SNAP made current. */
public class SnapshotCurrentTest {
    private static final String S2 = "<domainsnapshot><name>s2</name><parent><name>s1</name></parent></domainsnapshot>";

    @Rule
    public final FakeDaemon daemon = new FakeDaemon()
            .answer("/v1/domains/vm1/snapshots", 200,
                    "<snapshots current='s2'><snapshot name='s1'/><snapshot name='s2' parent='s1'/></snapshots>")
            .answer("/v1/domains/vm1/snapshots/s2", 200, S2)
            .answer("/v1/domains/vm1/snapshots/s1", 200, "<snapshot name='s1' current='yes'/>")
            .answer("/v1/domains/bare/snapshots", 200, "<snapshots><snapshot name='s1'/></snapshots>");

    @Test
    public void theCurrentSnapshotsXmlOrItsName() {
        assertEquals(new CliRun(0, S2 + "\n", ""), CliRun.ferry("-c", daemon.uri(), "snapshot-current", "vm1"));
        assertEquals("GET /v1/domains/vm1/snapshots/s2", daemon.lastRequest());
        assertEquals(new CliRun(0, "s2\n", ""), CliRun.ferry("-c", daemon.uri(), "snapshot-current", "vm1", "--name"));
    }

    @Test
    public void aDomainWithoutACurrentSnapshotIsAnErrorAsInVirsh() {
        assertEquals(new CliRun(1, "", "error: the domain does not have a current snapshot\n"),
                CliRun.ferry("-c", daemon.uri(), "snapshot-current", "bare", "--name"));
        assertEquals("GET /v1/domains/bare/snapshots", daemon.lastRequest());
    }

    @Test
    public void aSnapshotNamedIsMadeCurrent() {
        assertEquals(new CliRun(0, "Snapshot s1 set as current\n", ""),
                CliRun.ferry("-c", daemon.uri(), "snapshot-current", "vm1", "s1"));
        assertEquals("POST /v1/domains/vm1/snapshots/s1", daemon.lastRequest());
    }
}
