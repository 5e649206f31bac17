package io.ferry.testsection;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;

/**
 * A section that misbehaves on order, for the failure-matrix tests. It is mandatory, bakes {@code <fault
 * phase='…'/>} in every phase and eats it in every phase. The daemon's system property {@value #PROPERTY} names
 * a file the tests write, and rewrite between migrations, with one order, carried out once (the file is
 * consumed):
 * <ul>
 * <li>{@code throw STEP}: that bake or eat throws ({@code STEP} is {@code bake:PHASE} or {@code eat:PHASE});</li>
 * <li>{@code hold STEP}: that bake or eat writes {@code FILE.held} and waits until {@code FILE.release} appears,
 * so that the test can kill a daemon or the driver, or uninstall this section, while a phase is half done.</li>
 * </ul>
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "fault", element = "fault", mandatory = Mandatory.WHEN_BAKED,
        bakes = {Phase.BEGIN, Phase.PREPARE, Phase.PERFORM, Phase.FINISH, Phase.CONFIRM},
        eats = {Phase.BEGIN, Phase.PREPARE, Phase.PERFORM, Phase.FINISH, Phase.CONFIRM})
public class FaultSection implements CookieSection<String> {
    /** The system property naming the file of orders. */
    public static final String PROPERTY = "ferry.test.fault.file";
    private static final long HOLD_MILLIS = 120_000;

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
    public Optional<String> bake(SectionContext context) throws InterruptedException {
        obey("bake", context);
        return Optional.of(context.phase().cliName());
    }

    @Override
    public void eat(SectionContext context, String bakedIn) throws InterruptedException {
        obey("eat", context);
    }

    private static void obey(String step, SectionContext context) throws InterruptedException {
        String file = System.getProperty(PROPERTY, "");
        if (file.isBlank() || context.capability(CheckOnly.class).isPresent()) {
            return; // a check (ferry cookie check or bake) carries out no order: it would use it up
        }
        Phase phase = context.phase();
        Path orders = Path.of(file);
        String here = step + ":" + phase.cliName();
        try {
            String order = Files.exists(orders) ? Files.readString(orders, StandardCharsets.UTF_8).trim() : "";
            if (!order.endsWith(" " + here)) {
                return;
            }
            Files.delete(orders);
            if (order.startsWith("throw ")) {
                throw new IllegalStateException("fault injected at " + here);
            }
            hold(orders, here);
        } catch (IOException e) {
            throw new UncheckedIOException("fault orders in " + orders + ": " + e.getMessage(), e);
        }
    }

    private static void hold(Path orders, String here) throws IOException, InterruptedException {
        Path held = Path.of(orders + ".held");
        Path release = Path.of(orders + ".release");
        Files.writeString(held, here, StandardCharsets.UTF_8);
        long deadline = System.currentTimeMillis() + HOLD_MILLIS;
        while (!Files.exists(release) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        Files.deleteIfExists(release);
        Files.deleteIfExists(held);
    }
}
