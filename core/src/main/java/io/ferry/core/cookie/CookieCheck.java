package io.ferry.core.cookie;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext.Host;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.section.CheckHost;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.DaemonMessages.Checked;
import io.ferry.protocol.DaemonMessages.CheckedSection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code ferry cookie check}: a phase's eat of an incoming cookie, run as a migration runs it (the same parse and
 * eating rules, the sections in the same order, a mandatory section's failure failing the phase and an optional
 * one's skipped: {@link CookieBakery#eat}) in a context whose stand-ins act on nothing ({@link CheckHost}), and
 * reported section by section. A section that failed once it asked for its side stream is not eaten, its data
 * coming through the migration's side stream; a section that cannot know it is in a check is not eaten at all. A
 * section updated during the check is parsed and eaten by its new registration, as in a migration.
 */
public final class CookieCheck {
    /** Why a section the check parsed did not eat when nothing stopped the eat: it was found gone and did not come back. */
    static final String LEFT = "its section was no longer registered when it was to eat (its bundle removed during the check)";

    private final CookieBakery bakery;
    private final Function<SectionHandle, String> uncheckable;

    /** @param uncheckable why a check must not eat a section, or null when it may */
    public CookieCheck(CookieBakery bakery, Function<SectionHandle, String> uncheckable) {
        this.bakery = bakery;
        this.uncheckable = uncheckable;
    }

    /**
     * @param rules what the phase checks the cookie against, as in a migration
     * @param retake the sections to parse with again when one of them is gone (its bundle updated), as a migration does
     * @param domain the domain's definition, offered to the sections as in a migration; empty: none
     * @throws CookieException when the phase refuses the cookie before any section eats: malformed, its header or a
     *         feature refused, a section's parse failed
     */
    public Checked check(byte[] cookie, EatRules rules, SectionSet sections, CookieBakery.Retake retake,
            Optional<DomainSpec> domain, Host localHost, CheckHost host) throws CookieException {
        ParsedCookie parsed = bakery.parse(cookie, rules, sections, retake);
        Phase phase = rules.phase();
        Map<String, CheckedSection> outcomes = new LinkedHashMap<>();
        Recorder recorder = new Recorder(outcomes, host, uncheckable);
        for (ParsedCookie.Section section : parsed.sections()) {
            outcomes.put(section.handle().descriptor().feature(), null);
            recorder.eats(section.handle()); // said for every section, those after a failure too
        }
        String id = "check-" + UUID.randomUUID().toString().substring(0, 8);
        MigrationSectionContext context = MigrationSectionContext.check(phase, id, name(parsed.header(), domain),
                uuid(parsed.header(), domain), domain, localHost, host)
                .withRemote(new Host(parsed.header().hostname(), parsed.header().hostUuid()));
        String refusal = null;
        try (var tag = MigrationLog.tag(id)) {
            bakery.eat(parsed, context, retake, recorder);
        } catch (CookieException e) {
            refusal = e.getMessage();
        }
        String stoppedAt = outcomes.values().stream().filter(o -> o != null && o.outcome().equals(CheckedSection.FAILED))
                .map(CheckedSection::name).findFirst().orElse(null);
        List<CheckedSection> report = new ArrayList<>();
        for (Map.Entry<String, CheckedSection> entry : outcomes.entrySet()) {
            CheckedSection outcome = entry.getValue() != null ? entry.getValue() : notEaten(entry.getKey(),
                    stoppedAt != null ? phase.cliName() + " stopped at " + stoppedAt : LEFT);
            report.add(new CheckedSection(outcome.name(), outcome.outcome(), outcome.detail(), host.notes(outcome.name())));
        }
        report.addAll(uneaten(bakery.codec().carried(cookie), outcomes.keySet(), sections, phase));
        List<String> eaten = report.stream().filter(s -> s.outcome().equals(CheckedSection.EATEN)).map(CheckedSection::name).toList();
        return new Checked(phase.cliName(), refusal, eaten, report);
    }

    /** The elements the cookie carries that the phase did not give to any section, and why. */
    private static List<CheckedSection> uneaten(List<String> carried, Set<String> reported, SectionSet sections,
            Phase phase) {
        List<CheckedSection> report = new ArrayList<>();
        for (String element : carried) {
            Optional<SectionDescriptor> owner = sections.byElement(element).map(SectionHandle::descriptor);
            if (owner.isEmpty()) {
                report.add(notEaten("<" + element + ">", "no section of this host reads it"));
            } else if (!reported.contains(owner.get().feature())) {
                SectionDescriptor section = owner.get();
                List<String> eaters = section.eats().stream().sorted().map(Phase::cliName).toList();
                String others = eaters.isEmpty() ? "" : eaters.size() == 1 ? "; " + eaters.get(0) + " does"
                        : "; " + String.join(", ", eaters.subList(0, eaters.size() - 1)) + " and " + eaters.get(eaters.size() - 1) + " do";
                report.add(notEaten(section.feature(), section.eatsIn(phase) ? "its fragment holds nothing to eat"
                        : phase.cliName() + " does not eat it" + others));
            }
        }
        return report;
    }

    private static CheckedSection notEaten(String name, String why) {
        return new CheckedSection(name, CheckedSection.NOT_EATEN, why, List.of());
    }

    private static String name(CookieHeader header, Optional<DomainSpec> domain) {
        return domain.map(DomainSpec::name).orElse(header.name());
    }

    /** The domain's UUID: its definition's, else the cookie's own. */
    private static UUID uuid(CookieHeader header, Optional<DomainSpec> domain) throws CookieException {
        if (domain.isPresent()) {
            return domain.get().uuid();
        }
        UUID uuid = CookieCodec.libvirtUuid(header.uuid());
        if (uuid == null) {
            throw new CookieException("malformed uuid element in migration data");
        }
        return uuid;
    }

    /** Notes each section's outcome as the eat goes. */
    private record Recorder(Map<String, CheckedSection> outcomes, CheckHost host,
            Function<SectionHandle, String> uncheckable) implements CookieBakery.EatListener {
        @Override
        public boolean eats(SectionHandle section) {
            String why = uncheckable.apply(section);
            if (why != null) {
                put(section, CheckedSection.NOT_EATEN, why);
            }
            return why == null;
        }

        @Override
        public void eaten(SectionHandle section) {
            put(section, CheckedSection.EATEN, null);
        }

        @Override
        public boolean passesOver(SectionHandle section, CookieException failure) {
            if (!host.askedForSideStream(section.descriptor().feature())) {
                return false;
            }
            put(section, CheckedSection.NOT_EATEN, CheckHost.NO_SIDE_STREAM);
            return true;
        }

        @Override
        public void failed(SectionHandle section, CookieException failure, boolean fatal) {
            put(section, fatal ? CheckedSection.FAILED : CheckedSection.SKIPPED, failure.getMessage());
        }

        private void put(SectionHandle section, String outcome, String detail) {
            String feature = section.descriptor().feature();
            outcomes.put(feature, new CheckedSection(feature, outcome, detail, List.of()));
        }
    }
}
