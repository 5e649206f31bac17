package io.ferry.core.control;

import io.ferry.api.cookie.Phase;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionRegistry;
import io.ferry.protocol.DaemonMessages;
import io.ferry.protocol.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the daemon is: its installed cookie sections and their metadata (operators), its version and migration
 * protocols (anyone admitted: a peer asks before it migrates), and its recent migration events (operators).
 */
final class SectionsResource {
    private final SectionRegistry registry;
    private final MigrationEngine migrations;
    private final String version;

    SectionsResource(SectionRegistry registry, MigrationEngine migrations, String version) {
        this.registry = registry;
        this.migrations = migrations;
        this.version = version;
    }

    void addTo(RouteTable routes) {
        routes.add(DomainsResource.operator(Operation.SECTIONS, call -> sections()));
        routes.add(Route.of(Operation.VERSION, Route.Access.ANY, call -> Reply.xml(new DaemonMessages.Version(version,
                List.copyOf(migrations.protocols()), List.of(DaemonMessages.Version.PERSISTENT_XML)).toXml())));
        routes.add(DomainsResource.operator(Operation.EVENTS, call -> {
            List<DaemonMessages.Event> events = new ArrayList<>();
            for (var event : migrations.events()) {
                events.add(new DaemonMessages.Event(event.sequence(), event.time(), event.domain(), "migration-" + event.operation(),
                        event.side(), event.reason()));
            }
            return new DaemonMessages.Events(events).toXml();
        }));
    }

    private String sections() {
        List<DaemonMessages.Section> sections = new ArrayList<>();
        for (SectionRegistry.Registration registration : registry.registrations()) {
            SectionDescriptor d = registration.handle().descriptor();
            sections.add(new DaemonMessages.Section(d.feature(), d.element(), d.version(),
                    d.mandatory().name().toLowerCase(Locale.ROOT).replace('_', '-'), phases(d.bakes()), phases(d.eats()), d.bundle(),
                    registration.serving(), registration.why().isEmpty() ? null : registration.why()));
        }
        return new DaemonMessages.Sections(sections).toXml();
    }

    private static List<String> phases(Set<Phase> phases) {
        return phases.stream().sorted().map(Phase::cliName).toList();
    }
}
