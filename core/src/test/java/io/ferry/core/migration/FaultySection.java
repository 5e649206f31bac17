package io.ferry.core.migration;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.section.SectionHandle;
import java.util.List;
import java.util.Optional;
import org.w3c.dom.Element;

/** A mandatory section baked and eaten in every phase, which throws at one step: {@code bake} or {@code eat} of a phase. */
final class FaultySection implements CookieSection<String> {
    private static final List<Phase> ALL = List.of(Phase.BEGIN, Phase.PREPARE, Phase.PERFORM, Phase.FINISH, Phase.CONFIRM);

    private final String step;
    private final Phase phase;

    private FaultySection(String step, Phase phase) {
        this.step = step;
        this.phase = phase;
    }

    static SectionHandle failing(String step, Phase phase) {
        return failing(step, phase, Mandatory.WHEN_BAKED);
    }

    static SectionHandle failing(String step, Phase phase, Mandatory mandatory) {
        return TestSections.handle(new FaultySection(step, phase), "fault", "fault", mandatory, ALL, ALL);
    }

    /** The same section, failing nowhere: what the other host has. */
    static SectionHandle healthy() {
        return failing("nothing", null);
    }

    @Override
    public String parse(Element fragment) {
        return fragment.getAttribute("phase");
    }

    @Override
    public void format(String value, Element fragment) {
        fragment.setAttribute("phase", value);
    }

    @Override
    public Optional<String> bake(SectionContext context) {
        failIfAsked("bake", context.phase());
        return Optional.of(context.phase().cliName());
    }

    @Override
    public void eat(SectionContext context, String value) {
        failIfAsked("eat", context.phase());
    }

    private void failIfAsked(String what, Phase now) {
        if (what.equals(step) && now == phase) {
            throw new IllegalStateException("fault injected at " + what + ":" + now.cliName());
        }
    }
}
