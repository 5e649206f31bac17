package io.ferry.core.snapshot;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.ferry.protocol.xml.HardenedXmlParser;
import java.util.Optional;
import org.junit.Test;

/**
 * What the store reads of a snapshot is what a tree of it gives: a name's text ends with its element, and a
 * {@code <name>} or {@code <uuid>} counts only directly in the first {@code <parent>} or {@code <domain>}, not in an
 * element after it (SAX, not a tree, reads them: its state must close with the element).
 */
public class SnapshotReaderTest {
    private final SnapshotReader reader = new SnapshotReader(HardenedXmlParser.DEFAULT_MAX_BYTES,
            HardenedXmlParser.DEFAULT_MAX_DEPTH);

    @Test
    public void aNamesTextIsAllTheTextInsideItAndNoMore() throws Exception {
        assertEquals("a-b1", reader.read("<domainsnapshot><name>a<b>-b</b>1</name><description>2</description>"
                + "</domainsnapshot>").name());
    }

    @Test
    public void aNameAfterTheFirstParentIsNotTheParentsName() throws Exception {
        assertNull(reader.readBack("<domainsnapshot><name>s</name><parent><description/></parent>"
                + "<memory><name>m</name></memory></domainsnapshot>", "s.xml").parent());
    }

    @Test
    public void aUuidAfterTheFirstDomainIsNotTheDomainsUuid() throws Exception {
        assertEquals(Optional.empty(), reader.readIncoming("<domainsnapshot><name>s</name><domain><name>vm</name></domain>"
                + "<cookie><uuid>00000000-0000-4000-8000-0000000000d9</uuid></cookie></domainsnapshot>").domainUuid());
    }
}
