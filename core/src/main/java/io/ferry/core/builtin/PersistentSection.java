package io.ferry.core.builtin;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.xml.Documents;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.DOMException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code persistent} feature: the domain's persistent definition, a whole {@code <domain>}, carried
 * from Perform to Finish so that the destination can define the VM there. It travels as XML, untouched.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = PersistentSection.FEATURE, element = PersistentSection.ELEMENT, mandatory = Mandatory.NEVER,
        bakes = Phase.PERFORM, eats = Phase.FINISH)
public class PersistentSection implements CookieSection<Element> {
    /** Its feature and element: the engine refuses a migration that must carry a definition and goes without them. */
    public static final String FEATURE = "persistent";
    public static final String ELEMENT = "domain";

    @Override
    public Element parse(Element fragment) throws CookieException {
        if (fragment.getElementsByTagName("name").item(0) == null) { // stops at the first, where getLength walks them all
            throw new CookieException("missing name element in the domain definition of the migration cookie");
        }
        Document copy = Documents.create();
        try {
            copy.appendChild(copy.importNode(fragment, true));
        } catch (DOMException e) { // names the parser let through that DOM cannot copy, such as ':bus'
            throw new CookieException("malformed domain definition in the migration cookie: " + e.getMessage());
        }
        return copy.getDocumentElement();
    }

    @Override
    public void format(Element value, Element fragment) {
        Document target = fragment.getOwnerDocument();
        var attributes = value.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            fragment.setAttributeNode((org.w3c.dom.Attr) target.importNode(attributes.item(i), true));
        }
        for (Node child = value.getFirstChild(); child != null; child = child.getNextSibling()) {
            fragment.appendChild(target.importNode(child, true));
        }
    }

    @Override
    public Optional<Element> bake(SectionContext context) throws CookieException {
        // the stored definition, when the source offers it (a domain redefined while it ran), else the one it runs
        Optional<DomainSpec> domain = context.capability(PersistentDefinition.class).map(PersistentDefinition::spec)
                .or(() -> context.capability(DomainSpec.class));
        if (domain.isEmpty()) {
            return Optional.empty();
        }
        byte[] xml = domain.get().xml().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Optional.of(CookieCodec.document(new HardenedXmlParser(), xml, "domain definition").getDocumentElement());
    }

    /** The core defines the domain from the parsed value itself (it knows whether --persistent was asked). */
    @Override
    public void eat(SectionContext context, Element value) {
    }
}
