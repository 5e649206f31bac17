package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;

/**
 * Ferry's {@code snapshots} section: the descriptor of the VM's snapshot hierarchy. Mandatory whenever baked,
 * so a destination without this plug-in refuses the VM instead of silently dropping its snapshots.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "snapshots", element = "snapshots", mandatory = Mandatory.WHEN_BAKED,
        bakes = Phase.BEGIN, eats = Phase.PREPARE)
public class SnapshotsSection implements CookieSection<SnapshotDescriptor> {

    @Override
    public SnapshotDescriptor parse(Element fragment) throws CookieException {
        String count = fragment.getAttribute("count");
        String digest = fragment.getAttribute("digest");
        try {
            int n = Integer.parseInt(count.trim());
            if (n < 0 || digest.isEmpty()) {
                throw new NumberFormatException();
            }
            return new SnapshotDescriptor(n, digest);
        } catch (NumberFormatException e) {
            throw new CookieException("malformed snapshots descriptor in migration cookie: count='" + count + "' digest='" + digest + "'");
        }
    }

    @Override
    public void format(SnapshotDescriptor value, Element fragment) {
        fragment.setAttribute("count", Integer.toString(value.count()));
        fragment.setAttribute("digest", value.digest());
    }

    @Override
    public Optional<SnapshotDescriptor> bake(SectionContext context) {
        return Optional.empty();
    }

    @Override
    public void eat(SectionContext context, SnapshotDescriptor value) {
    }
}
