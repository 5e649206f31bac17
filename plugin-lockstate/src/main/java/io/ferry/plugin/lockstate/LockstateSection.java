package io.ferry.plugin.lockstate;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.lock.DomainLeases;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code lockstate} section: the source's lease state, baked at Begin (eaten by Prepare, as libvirt
 * does) and again at Perform after the leases were released (eaten by Finish). Mandatory whenever baked: a
 * destination that cannot honour leases must refuse the VM rather than risk running it twice.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "lockstate", element = "lockstate", mandatory = Mandatory.WHEN_BAKED,
        bakes = {Phase.BEGIN, Phase.PERFORM}, eats = {Phase.PREPARE, Phase.FINISH})
public class LockstateSection implements CookieSection<LeaseState> {

    @Override
    public LeaseState parse(Element fragment) throws CookieException {
        String driver = fragment.getAttribute("driver");
        if (driver.isEmpty()) {
            throw new CookieException("Missing lock driver name in migration cookie");
        }
        String leases = null;
        for (Node node = fragment.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals("leases")) {
                leases = element.getTextContent();
                break;
            }
        }
        return new LeaseState(driver, leases == null || leases.isEmpty() ? null : leases);
    }

    @Override
    public void format(LeaseState value, Element fragment) {
        fragment.setAttribute("driver", value.driver());
        Element leases = fragment.getOwnerDocument().createElement("leases");
        leases.setTextContent(value.leases() == null ? "" : value.leases());
        fragment.appendChild(leases);
    }

    /**
     * Whenever the domain is leased, with or without disks: a domain leases itself too ({@code domain:UUID}), and a
     * destination with no lock manager, or another one, that took a diskless guest left its lease free at the source,
     * where the definition left behind then started a second copy. A domain is leased by its definition: without one
     * (the cookie tools' bake of a name alone) there is nothing to say.
     */
    @Override
    public Optional<LeaseState> bake(SectionContext context) {
        if (context.capability(DomainSpec.class).isEmpty()) {
            return Optional.empty();
        }
        return context.capability(DomainLeases.class).map(leases -> new LeaseState(leases.manager(), leases.state()));
    }

    @Override
    public void eat(SectionContext context, LeaseState value) throws CookieException {
        DomainLeases leases = context.capability(DomainLeases.class).orElseThrow(() -> new CookieException("the source leases "
                + context.domainName() + " with lock manager " + value.driver() + ", and this host has no lock manager"));
        if (!leases.manager().equals(value.driver())) {
            throw new CookieException("lock manager mismatch: the source uses " + value.driver() + ", this host "
                    + leases.manager() + "; both hosts must use the same one");
        }
        if (context.phase() == Phase.FINISH) {
            leases.acquireWith(value.leases());
        }
    }
}
