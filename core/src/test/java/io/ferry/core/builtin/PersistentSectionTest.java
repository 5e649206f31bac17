package io.ferry.core.builtin;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;
import org.w3c.dom.Element;

/** The {@code persistent} section's fragment: a whole domain definition, refused when the destination could not define it. */
public class PersistentSectionTest {
    private static Element fragment(String xml) throws CookieException {
        return CookieCodec.document(new HardenedXmlParser(), xml.getBytes(StandardCharsets.UTF_8), "cookie").getDocumentElement();
    }

    @Test
    public void aDefinitionIsCopiedOutOfTheCookiesDocument() throws Exception {
        Element fragment = fragment("<domain type='kvm'><name>vm1</name><memory unit='KiB'>65536</memory></domain>");
        Element value = new PersistentSection().parse(fragment);
        assertEquals("vm1", value.getElementsByTagName("name").item(0).getTextContent());
        assertEquals("kvm", value.getAttribute("type"));
        assertNotSame(fragment.getOwnerDocument(), value.getOwnerDocument());
        assertSame(value, value.getOwnerDocument().getDocumentElement());
    }

    /** Without a stored definition or a running domain (a context that offers neither), there is nothing to send. */
    @Test
    public void withoutADefinitionNothingIsBaked() throws Exception {
        assertEquals(Optional.empty(), new PersistentSection().bake(MigrationSectionContext.offline(Phase.BEGIN, "m1", "vm",
                UUID.randomUUID(), new SectionContext.Host("src", UUID.randomUUID()))));
    }

    @Test
    public void aDefinitionWithoutANameIsRefusedBeforeTheDestinationTriesToDefineIt() {
        CookieException e = assertThrows(CookieException.class,
                () -> new PersistentSection().parse(fragment("<domain type='kvm'><memory unit='KiB'>65536</memory></domain>")));
        assertEquals("missing name element in the domain definition of the migration cookie", e.getMessage());
    }
}
