package io.ferry.testsection;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;

/**
 * A section as a third party would ship it, built against the api alone. It bakes {@code <probe
 * bundle-version='…' domain='…'/>} at Begin, so a test sees which version of its bundle baked a cookie.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "probe", element = "probe", mandatory = Mandatory.WHEN_BAKED,
        bakes = Phase.BEGIN, eats = Phase.PREPARE)
public class ProbeSection implements CookieSection<ProbeSection.Probe> {
    /** What the probe says: which bundle version baked it, for which domain. */
    public record Probe(String bundleVersion, String domain) {
    }

    private final String bundleVersion;

    @Activate
    public ProbeSection(BundleContext context) {
        this.bundleVersion = context.getBundle().getVersion().toString();
    }

    @Override
    public Probe parse(Element fragment) throws CookieException {
        if (!fragment.hasAttribute("bundle-version")) {
            throw new CookieException("missing bundle-version attribute in probe section");
        }
        return new Probe(fragment.getAttribute("bundle-version"), fragment.getAttribute("domain"));
    }

    @Override
    public void format(Probe value, Element fragment) {
        fragment.setAttribute("bundle-version", value.bundleVersion());
        fragment.setAttribute("domain", value.domain());
    }

    @Override
    public Optional<Probe> bake(SectionContext context) {
        return Optional.of(new Probe(bundleVersion, context.domainName()));
    }

    @Override
    public void eat(SectionContext context, Probe value) {
        context.info("probe baked by version " + value.bundleVersion());
    }
}
