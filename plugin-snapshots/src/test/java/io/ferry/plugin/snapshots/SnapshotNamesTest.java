package io.ferry.plugin.snapshots;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import org.junit.Test;

/** One parser reads every document of a stream: nothing of one document may stay for the next. */
public class SnapshotNamesTest {
    private final SnapshotNames names = new SnapshotNames();

    @Test
    public void eachDocumentIsReadOnItsOwn() throws Exception {
        Snapshot child = names.read("<domainsnapshot><name> b </name><parent><name>a</name></parent></domainsnapshot>");
        assertEquals("b", child.name());
        assertEquals("a", child.parent());
        Snapshot root = names.read("<domainsnapshot><description>x</description><name>a</name></domainsnapshot>");
        assertEquals("a", root.name());
        assertNull("the parent of the document before", root.parent());
        CookieException refused = assertThrows(CookieException.class, () -> names.read("<domainsnapshot><parent/></domainsnapshot>"));
        assertEquals("snapshots stream carries a <domainsnapshot> that is not a <domainsnapshot> with a <name>", refused.getMessage());
        assertEquals("c", names.read("<domainsnapshot><name>c</name></domainsnapshot>").name());
    }

    @Test
    public void aNameIsItsTextWhateverSpellsIt() throws Exception {
        Snapshot snapshot = names.read("<domainsnapshot><name>a<!-- x -->&amp;<![CDATA[b]]>&#99;</name>"
                + "<parent><name>p</name><name>q</name></parent><domain><name>other</name></domain></domainsnapshot>");
        assertEquals("a&bc", snapshot.name());
        assertEquals("the first <name> of <parent>", "p", snapshot.parent());
    }

    @Test
    public void malformedDocumentsAreRefusedOnOneLine() throws Exception {
        for (String xml : new String[] {"<domainsnapshot><name><x/></name></domainsnapshot>",
                "<domainsnapshot><name>a</name>", "<!DOCTYPE d [<!ENTITY e 'x'>]><domainsnapshot><name>&e;</name></domainsnapshot>",
                "<domainsnapshot><name>a</name></domainsnapshot><extra/>", "<domainsnapshot><name>&undeclared;</name></domainsnapshot>"}) {
            CookieException e = assertThrows(xml, CookieException.class, () -> names.read(xml));
            assertTrue(e.getMessage(), e.getMessage().startsWith("snapshots stream carries a malformed <domainsnapshot>: "));
            assertFalse(e.getMessage(), e.getMessage().contains("\n"));
        }
        assertEquals("a sound document after refused ones", "b", names.read("<domainsnapshot><name>b</name></domainsnapshot>").name());
    }

    /** A domain definition nests 64 levels at most, one more under {@code <domainsnapshot>}: deeper is an attack. */
    @Test
    public void nestingIsBoundedFromDocumentToDocument() throws Exception {
        String deepest = "<domainsnapshot><name>a</name>" + "<d>".repeat(64) + "</d>".repeat(64) + "</domainsnapshot>";
        String deeper = "<domainsnapshot><name>a</name>" + "<d>".repeat(65) + "</d>".repeat(65) + "</domainsnapshot>";
        String bomb = "<domainsnapshot><name>a</name>" + "<d>".repeat(100_000) + "</d>".repeat(100_000) + "</domainsnapshot>";
        for (int round = 0; round < 2; round++) { // the parser is reset between documents: its limit must stay
            assertEquals("a", names.read(deepest).name());
            for (String xml : new String[] {deeper, bomb}) {
                CookieException e = assertThrows(CookieException.class, () -> names.read(xml));
                assertTrue(e.getMessage(), e.getMessage().startsWith("snapshots stream carries a malformed <domainsnapshot>: "));
                assertTrue(e.getMessage(), e.getMessage().contains("maxElementDepth"));
            }
        }
    }
}
