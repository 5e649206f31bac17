package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.w3c.dom.Element;

/**
 * Ferry's {@code snapshots} section: the descriptor of the VM's snapshot hierarchy. Mandatory whenever baked,
 * so a destination without this plug-in refuses the VM instead of silently dropping its snapshots.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "snapshots", element = "snapshots", mandatory = Mandatory.WHEN_BAKED,
        bakes = Phase.BEGIN, eats = Phase.PREPARE)
public class SnapshotsSection implements CookieSection<SnapshotDescriptor> {
    private final SnapshotStore store;
    private final IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);

    @Activate
    public SnapshotsSection(@Reference SnapshotStore store) {
        this.store = store;
    }

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

    /**
     * Source, Begin: the descriptor of the domain's snapshots as they are now, and their bodies offered on the
     * side stream; nothing (the feature is not announced) when the domain has none. Refused, the domain staying here,
     * when no Ferry daemon could take them.
     */
    @Override
    public Optional<SnapshotDescriptor> bake(SectionContext context) throws IOException, CookieException {
        List<Snapshot> snapshots = store.list(context.domainUuid());
        if (snapshots.isEmpty()) {
            return Optional.empty();
        }
        IncomingBudget.requireTakeable(context.domainName(), snapshots.size(), -1); // before hashing a million
        String current = store.current(context.domainUuid()).orElse(null);
        SnapshotStream.Written written = SnapshotStream.measure(snapshots, current);
        IncomingBudget.requireTakeable(context.domainName(), snapshots.size(), written.length());
        context.capability(SideStream.class).ifPresent(stream -> stream.offer(out -> SnapshotStream.write(out, snapshots, current)));
        context.info("offers " + snapshots.size() + " snapshots (current: " + current + ")");
        return Optional.of(new SnapshotDescriptor(snapshots.size(), written.digest()));
    }

    /**
     * Destination, Prepare: reads the side stream, checks it against the descriptor and stages the snapshots;
     * the core commits them at the migration's commit point, or discards them. A check ({@link CheckOnly}) stages
     * nothing; its side stream has no data anyway, so it reports this section as not eaten.
     */
    @Override
    public void eat(SectionContext context, SnapshotDescriptor value) throws IOException, CookieException {
        if (value.count() > SnapshotStream.MAX_COUNT) {
            throw new CookieException("migration cookie announces " + value.count() + " snapshots (limit "
                    + SnapshotStream.MAX_COUNT + ")");
        }
        SideStream stream = context.capability(SideStream.class)
                .orElseThrow(() -> new CookieException("the snapshots of domain " + context.domainName() + " need a side stream"));
        try (IncomingBudget.Share share = budget.open()) {
            SnapshotStream.Contents contents;
            try (InputStream in = stream.open()) {
                contents = SnapshotStream.read(in, value, share);
            }
            SnapshotForest.Forest forest = SnapshotForest.of(contents, store);
            Optional<CheckOnly> check = context.capability(CheckOnly.class);
            if (check.isPresent()) {
                check.get().wouldDo("stage " + forest.parentsFirst().size() + " snapshots (current: " + forest.current() + ")");
                return;
            }
            store.stage(context.migrationId(), context.domainUuid(), forest.parentsFirst(), forest.current());
            context.info("staged " + forest.parentsFirst().size() + " snapshots (current: " + forest.current() + ")");
        }
    }
}
