package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import io.ferry.core.cookie.TestSections;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The plug-in jars carry the component descriptions bnd generated from {@code @SectionProperties}; the properties
 * {@link TestSections} writes by hand must match them. bnd writes the descriptions only into the jars, so this runs
 * after they are packaged (an integration test: {@code mvn verify} or {@code install}), and a description missing
 * from the class path fails it. (The core's own description is only made when its jar is, so built-ins are not
 * checked.)
 */
public class SectionDescriptorIT {
    @Test
    public void testSectionsMirrorThePluginsAnnotations() throws Exception {
        checkMirror("io.ferry.plugin.graphics.GraphicsSection", TestSections.graphics().descriptor());
        checkMirror("io.ferry.plugin.lockstate.LockstateSection", TestSections.lockstate().descriptor());
        checkMirror("io.ferry.plugin.ovs.NetworkSection", TestSections.network().descriptor());
    }

    private static void checkMirror(String component, SectionDescriptor handWritten) throws Exception {
        Map<String, Object> generated = new HashMap<>();
        try (InputStream in = SectionDescriptorIT.class.getResourceAsStream("/OSGI-INF/" + component + ".xml")) {
            assertNotNull("no component description OSGI-INF/" + component + ".xml on the class path: the plug-in's jar"
                    + " was not packaged (run mvn verify, not mvn test)", in);
            NodeList properties = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder().parse(in)
                    .getElementsByTagName("property");
            for (int i = 0; i < properties.getLength(); i++) {
                Element property = (Element) properties.item(i);
                String value = property.hasAttribute("value") ? property.getAttribute("value") : property.getTextContent();
                generated.put(property.getAttribute("name"), List.of(value.trim().split("\\s+")));
            }
        }
        generated.replaceAll((k, v) -> k.endsWith("bakes") || k.endsWith("eats") ? v : ((List<?>) v).get(0));
        assertEquals(component, SectionDescriptor.fromProperties(generated, handWritten.bundle()), handWritten);
    }
}
