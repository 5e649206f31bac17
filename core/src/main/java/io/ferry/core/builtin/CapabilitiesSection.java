package io.ferry.core.builtin;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code capabilities}: each side's migration capabilities, baked by Begin and Prepare so that the
 * other side knows what it may turn on. A cookie without them means the peer supports none.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "capabilities", element = "capabilities",
        bakes = {Phase.BEGIN, Phase.PREPARE}, eats = {Phase.PREPARE, Phase.PERFORM})
public class CapabilitiesSection implements CookieSection<MigrationCapabilities> {

    @Override
    public MigrationCapabilities parse(Element fragment) throws CookieException {
        List<MigrationCapabilities.Capability> capabilities = new ArrayList<>();
        for (Node node = fragment.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element cap && cap.getTagName().equals("cap")) {
                String name = cap.getAttribute("name");
                if (name.isEmpty()) {
                    throw new CookieException("missing migration capability name");
                }
                capabilities.add(new MigrationCapabilities.Capability(name, "yes".equals(cap.getAttribute("auto"))));
            }
        }
        return new MigrationCapabilities(capabilities);
    }

    @Override
    public void format(MigrationCapabilities value, Element fragment) {
        for (MigrationCapabilities.Capability capability : value.capabilities()) {
            Element cap = fragment.getOwnerDocument().createElement("cap");
            cap.setAttribute("name", capability.name());
            cap.setAttribute("auto", capability.automatic() ? "yes" : "no");
            fragment.appendChild(cap);
        }
    }

    @Override
    public MigrationCapabilities absent() {
        return MigrationCapabilities.NONE;
    }

    @Override
    public Optional<MigrationCapabilities> bake(SectionContext context) {
        // the embedded hypervisor's migration has no optional capabilities to offer
        return Optional.of(MigrationCapabilities.NONE);
    }

    @Override
    public void eat(SectionContext context, MigrationCapabilities value) {
    }
}
