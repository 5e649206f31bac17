package io.ferry.testsection;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.cookie.SideStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;

/**
 * A section as a third party would ship it, built against the api alone. It bakes {@code <probe
 * bundle-version='…' domain='…'/>} at Begin, so a test sees which version of its bundle baked a cookie. For a domain
 * whose name starts with {@value #STREAMING} it also offers a side stream, which Prepare reads: a test sees which
 * version of the bundle wrote it.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "probe", element = "probe", mandatory = Mandatory.WHEN_BAKED,
        bakes = Phase.BEGIN, eats = Phase.PREPARE)
public class ProbeSection implements CookieSection<ProbeSection.Probe> {
    /** What the probe says: which bundle version baked it, for which domain. */
    public record Probe(String bundleVersion, String domain) {
    }

    /** The names of the domains whose probe offers a side stream. */
    public static final String STREAMING = "stream-";

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
        if (context.domainName().startsWith(STREAMING)) {
            String version = bundleVersion;
            context.capability(SideStream.class).ifPresent(stream -> stream.offer(out -> new ProbeStream(version).writeTo(out)));
        }
        return Optional.of(new Probe(bundleVersion, context.domainName()));
    }

    @Override
    public void eat(SectionContext context, Probe value) throws IOException {
        context.info("probe baked by version " + value.bundleVersion());
        Optional<SideStream> stream = context.capability(SideStream.class);
        if (value.domain().startsWith(STREAMING) && stream.isPresent()) {
            try (InputStream in = stream.get().open()) {
                context.info("probe stream " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }
}
