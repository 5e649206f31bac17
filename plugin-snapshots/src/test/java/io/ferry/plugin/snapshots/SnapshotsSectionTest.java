package io.ferry.plugin.snapshots;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.testkit.CookieRoundTrip;
import io.ferry.testkit.Fragments;
import io.ferry.testkit.InMemorySnapshotStore;
import java.util.List;
import java.util.Optional;
import org.junit.Test;
import org.w3c.dom.Element;

/** Ferry's own {@code <snapshots>} cookie section. */
public class SnapshotsSectionTest {
    private final SnapshotsSection section = new SnapshotsSection(new InMemorySnapshotStore());

    private Element format(SnapshotDescriptor value) {
        Element fragment = Fragments.empty("snapshots");
        section.format(value, fragment);
        return fragment;
    }

    @Test
    public void countAndDigestParse() throws Exception {
        assertEquals(new SnapshotDescriptor(3, "sha256:ab12"),
                section.parse(Fragments.parse("<snapshots count='3' digest='sha256:ab12'/>")));
        assertEquals(new SnapshotDescriptor(0, "none"), section.parse(Fragments.parse("<snapshots count=' 0 ' digest='none'/>")));
    }

    @Test
    public void formatWritesCountAndDigest() {
        Element fragment = format(new SnapshotDescriptor(12, "d"));
        assertEquals("12", fragment.getAttribute("count"));
        assertEquals("d", fragment.getAttribute("digest"));
    }

    @Test
    public void formatThenParseThroughTheCookieIsIdentity() {
        CookieRoundTrip<SnapshotDescriptor> trip = CookieRoundTrip.of(section);
        for (SnapshotDescriptor value : List.of(new SnapshotDescriptor(0, "x"),
                new SnapshotDescriptor(Integer.MAX_VALUE, "sha256:" + "f".repeat(64)), new SnapshotDescriptor(1, "a'\"<&>"))) {
            assertEquals(value, trip.roundTrip(value));
        }
    }

    @Test
    public void malformedDescriptorIsRefusedShowingBothAttributes() {
        String[][] cases = {
            {"<snapshots digest='d'/>", "malformed snapshots descriptor in migration cookie: count='' digest='d'"},
            {"<snapshots count='two' digest='d'/>", "malformed snapshots descriptor in migration cookie: count='two' digest='d'"},
            {"<snapshots count='-1' digest='d'/>", "malformed snapshots descriptor in migration cookie: count='-1' digest='d'"},
            {"<snapshots count='1'/>", "malformed snapshots descriptor in migration cookie: count='1' digest=''"},
            {"<snapshots count='1' digest=''/>", "malformed snapshots descriptor in migration cookie: count='1' digest=''"},
            {"<snapshots count='4294967296' digest='d'/>",
                "malformed snapshots descriptor in migration cookie: count='4294967296' digest='d'"},
        };
        for (String[] c : cases) {
            CookieException e = assertThrows(c[0], CookieException.class, () -> section.parse(Fragments.parse(c[0])));
            assertEquals(c[1], e.getMessage());
        }
    }

    @Test
    public void bakeHasNothingToSayWithoutSnapshots() throws Exception {
        assertEquals(Optional.empty(), section.bake(new FakeContext()));
    }
}
