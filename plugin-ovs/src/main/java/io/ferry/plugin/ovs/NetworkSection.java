package io.ferry.plugin.ovs;

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
 * libvirt's {@code network} section: Open vSwitch port data read by the source at Perform, after the VM
 * paused, and written by the destination at Finish, before the VM resumes. Optional, as in libvirt.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "network", element = "network", bakes = Phase.PERFORM, eats = Phase.FINISH)
public class NetworkSection implements CookieSection<PortData> {

    @Override
    public PortData parse(Element fragment) throws CookieException {
        List<PortData.Interface> interfaces = new ArrayList<>();
        for (Node node = fragment.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (!(node instanceof Element nic) || !nic.getTagName().equals("interface")) {
                continue;
            }
            String vportType = nic.getAttribute("vporttype");
            if (vportType.isEmpty()) {
                throw new CookieException("missing vporttype attribute in migration data");
            }
            int index = interfaces.size();
            if (nic.hasAttribute("index")) {
                try {
                    index = Integer.parseInt(nic.getAttribute("index").trim());
                } catch (NumberFormatException e) {
                    throw new CookieException("malformed interface index '" + nic.getAttribute("index") + "' in migration data");
                }
            }
            String portData = null;
            for (Node child = nic.getFirstChild(); child != null; child = child.getNextSibling()) {
                if (child instanceof Element data && data.getTagName().equals("portdata")) {
                    portData = data.getTextContent();
                    break;
                }
            }
            interfaces.add(new PortData.Interface(index, vportType, portData));
        }
        return new PortData(interfaces);
    }

    @Override
    public void format(PortData value, Element fragment) {
        for (PortData.Interface nic : value.interfaces()) {
            Element element = fragment.getOwnerDocument().createElement("interface");
            element.setAttribute("index", Integer.toString(nic.index()));
            element.setAttribute("vporttype", nic.vportType());
            if (nic.portData() != null) {
                Element data = fragment.getOwnerDocument().createElement("portdata");
                data.setTextContent(nic.portData());
                element.appendChild(data);
            }
            fragment.appendChild(element);
        }
    }

    @Override
    public Optional<PortData> bake(SectionContext context) {
        return Optional.empty();
    }

    @Override
    public void eat(SectionContext context, PortData value) {
    }
}
