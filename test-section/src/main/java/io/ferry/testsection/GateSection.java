package io.ferry.testsection;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;

/**
 * A section that holds a destination's Finish on demand, so that a test can look at both hosts at the one moment
 * the memory has arrived, the source is paused and the destination has not resumed yet. It bakes {@code <gate
 * domain='…'/>} at Perform and eats it at Finish (after the memory arrived, before the commit). There, when the
 * daemon's system property {@value #PROPERTY} names a directory holding {@code NAME.hold}, it writes
 * {@code NAME.held} and waits until the test removes {@code NAME.hold} (at most {@value #LIMIT_MILLIS} ms, less than
 * a section call's time limit).
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "gate", element = "gate", mandatory = Mandatory.WHEN_BAKED, bakes = Phase.PERFORM,
        eats = Phase.FINISH)
public class GateSection implements CookieSection<String> {
    /** The system property naming the gate directory. */
    public static final String PROPERTY = "ferry.test.gate";
    static final long LIMIT_MILLIS = 25_000;

    @Override
    public String parse(Element fragment) throws CookieException {
        if (!fragment.hasAttribute("domain")) {
            throw new CookieException("missing domain attribute in gate section");
        }
        return fragment.getAttribute("domain");
    }

    @Override
    public void format(String domain, Element fragment) {
        fragment.setAttribute("domain", domain);
    }

    @Override
    public Optional<String> bake(SectionContext context) {
        return Optional.of(context.domainName());
    }

    @Override
    public void eat(SectionContext context, String domain) {
        String directory = System.getProperty(PROPERTY, "").trim();
        if (directory.isEmpty()) {
            return;
        }
        Path hold = Path.of(directory, context.domainName() + ".hold");
        if (!Files.exists(hold)) {
            return;
        }
        Path held = Path.of(directory, context.domainName() + ".held");
        try {
            Files.writeString(held, "held at Finish\n");
            context.info("Finish of " + context.domainName() + " held until " + hold + " goes");
            long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
            while (Files.exists(hold)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the gate of " + context.domainName() + " stayed closed for "
                            + LIMIT_MILLIS + " ms");
                }
                Thread.sleep(10);
            }
            Files.deleteIfExists(held);
        } catch (IOException e) {
            throw new IllegalStateException("gate " + hold + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted at the gate of " + context.domainName(), e);
        }
    }
}
