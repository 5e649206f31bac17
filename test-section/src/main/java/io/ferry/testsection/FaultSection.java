package io.ferry.testsection;

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
 * A section that fails on purpose, for the failure-matrix tests. It is mandatory, bakes {@code <fault
 * phase='…'/>} in every phase and eats it in every phase, and throws from bake or eat at the one step named by
 * the system property {@value #PROPERTY} ({@code bake:prepare}, {@code eat:finish}, …; unset: never).
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "fault", element = "fault", mandatory = Mandatory.WHEN_BAKED,
        bakes = {Phase.BEGIN, Phase.PREPARE, Phase.PERFORM, Phase.FINISH, Phase.CONFIRM},
        eats = {Phase.BEGIN, Phase.PREPARE, Phase.PERFORM, Phase.FINISH, Phase.CONFIRM})
public class FaultSection implements CookieSection<String> {
    /** The system property naming the step to fail: {@code bake:PHASE} or {@code eat:PHASE}. */
    public static final String PROPERTY = "ferry.test.fault";

    @Override
    public String parse(Element fragment) throws CookieException {
        if (!fragment.hasAttribute("phase")) {
            throw new CookieException("missing phase attribute in fault section");
        }
        return fragment.getAttribute("phase");
    }

    @Override
    public void format(String phase, Element fragment) {
        fragment.setAttribute("phase", phase);
    }

    @Override
    public Optional<String> bake(SectionContext context) {
        failIfAsked("bake", context.phase());
        return Optional.of(context.phase().cliName());
    }

    @Override
    public void eat(SectionContext context, String bakedIn) {
        failIfAsked("eat", context.phase());
    }

    private static void failIfAsked(String step, Phase phase) {
        String here = step + ":" + phase.cliName();
        if (here.equalsIgnoreCase(System.getProperty(PROPERTY, "").trim())) {
            throw new IllegalStateException("fault injected at " + here);
        }
    }
}
