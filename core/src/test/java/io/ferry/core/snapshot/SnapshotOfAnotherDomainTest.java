package io.ferry.core.snapshot;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.daemon.TestDaemons;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A migrated snapshot keeps the definition its domain had (libvirt's {@code <domainsnapshot><domain>}); one that holds
 * another domain's definition is not the migrating domain's snapshot, and libvirt refuses it ("definition for snapshot
 * X must use uuid Y", virDomainSnapshotRedefineValidate). A peer's such snapshot was staged and committed as the
 * migrating domain's own.
 */
public class SnapshotOfAnotherDomainTest {
    private static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000d1");
    private static final UUID OTHER = UUID.fromString("00000000-0000-4000-8000-0000000000d2");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static String snapshotOf(String name, String uuidElement) {
        return "<domainsnapshot><name>" + name + "</name><state>running</state><domain type='sim'><name>vm</name>"
                + uuidElement + "<memory>1024</memory></domain></domainsnapshot>";
    }

    @Test
    public void aSnapshotHoldingAnotherDomainsDefinitionIsRefusedAtItsStaging() throws Exception {
        SnapshotFiles store = new SnapshotFiles(TestDaemons.at(folder.getRoot().toPath()));
        Snapshot read = store.read(snapshotOf("a", "<uuid>" + OTHER + "</uuid>"));
        IOException refused = assertThrows(IOException.class, () -> store.stage("m1", DOMAIN, List.of(read), "a"));
        assertEquals("snapshot 'a' of migration m1 holds the definition of domain " + OTHER + ", not of the migrating domain "
                + DOMAIN, refused.getMessage());

        Snapshot unread = new Snapshot("b", null, snapshotOf("b", "<uuid> " + OTHER.toString().toUpperCase() + " </uuid>"));
        refused = assertThrows(IOException.class, () -> store.stage("m2", DOMAIN, List.of(unread), null));
        assertEquals("snapshot 'b' of migration m2 holds the definition of domain " + OTHER + ", not of the migrating domain "
                + DOMAIN, refused.getMessage());

        Snapshot malformed = store.read(snapshotOf("c", "<uuid>d2</uuid>"));
        refused = assertThrows(IOException.class, () -> store.stage("m3", DOMAIN, List.of(malformed), null));
        assertEquals("snapshot 'c' of migration m3 holds a definition with the malformed uuid 'd2'", refused.getMessage());
        assertEquals("nothing staged", List.of(), store.staged());
    }

    @Test
    public void aSnapshotOfTheMigratingDomainOrWithoutADefinitionIsStaged() throws Exception {
        SnapshotFiles store = new SnapshotFiles(TestDaemons.at(folder.getRoot().toPath()));
        Snapshot own = store.read(snapshotOf("a", "<uuid>" + DOMAIN + "</uuid>"));
        Snapshot bare = new Snapshot("b", "a", "<domainsnapshot><name>b</name><parent><name>a</name></parent></domainsnapshot>");
        Snapshot noUuid = store.read("<domainsnapshot><name>c</name><parent><name>b</name></parent><domain type='sim'/>"
                + "<other><uuid>" + OTHER + "</uuid></other></domainsnapshot>"); // not in its <domain>: no definition's
        store.stage("m4", DOMAIN, List.of(own, bare, noUuid), "c");
        store.commit("m4");
        assertEquals(List.of(own, bare, noUuid), store.list(DOMAIN));
    }
}
