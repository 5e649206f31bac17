package com.example.ferry.clock;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.LongSupplier;
import javax.xml.parsers.DocumentBuilderFactory;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The {@code clock} section: the source bakes the guest's clock offset at Perform, once the guest has paused; the
 * destination eats it at Finish, before the guest resumes there, and says how far behind the guest's clock will be
 * (the pause so far, plus any difference between the two hosts' clocks) and whether its own definition keeps the
 * offset. Optional: without it a migration loses nothing but these lines.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "clock", element = "clock", version = "1.0", bakes = Phase.PERFORM, eats = Phase.FINISH)
public class ClockSection implements CookieSection<ClockOffset> {
    /** A guest clock that falls further behind than this at switch-over is worth a warning. */
    static final long BEHIND_WARNING_MILLIS = 1000;

    private final LongSupplier hostClock;

    public ClockSection() {
        this(System::currentTimeMillis);
    }

    /** With the host's clock given, for tests. */
    ClockSection(LongSupplier hostClock) {
        this.hostClock = hostClock;
    }

    @Override
    public ClockOffset parse(Element fragment) throws CookieException {
        String offset = fragment.getAttribute("offset");
        if (offset.isEmpty()) {
            throw new CookieException("missing offset attribute in clock section");
        }
        if (!fragment.hasAttribute("sent")) {
            throw new CookieException("missing sent attribute in clock section");
        }
        return new ClockOffset(offset, number(fragment, "adjustment"), number(fragment, "sent"));
    }

    @Override
    public void format(ClockOffset value, Element fragment) {
        fragment.setAttribute("offset", value.offset());
        fragment.setAttribute("adjustment", Long.toString(value.adjustmentSeconds()));
        fragment.setAttribute("sent", Long.toString(value.sentMillis()));
    }

    /** Source, Perform (guest paused): the running guest's clock, from its definition here; libvirt's default is utc. */
    @Override
    public Optional<ClockOffset> bake(SectionContext context) throws CookieException {
        Optional<DomainSpec> running = context.capability(VirtualMachine.class).map(VirtualMachine::spec)
                .or(() -> context.capability(DomainSpec.class));
        return Optional.of(clockOf(running, hostClock.getAsLong()));
    }

    /** Destination, Finish (guest not yet resumed). */
    @Override
    public void eat(SectionContext context, ClockOffset sent) throws CookieException {
        long behind = hostClock.getAsLong() - sent.sentMillis();
        String from = context.remoteHost().map(SectionContext.Host::hostname).orElse("the source");
        context.info("guest clock " + sent.offset() + " " + signed(sent.adjustmentSeconds()) + " s from " + from
                + ", paused there " + behind + " ms ago by this host's clock");
        if (Math.abs(behind) > BEHIND_WARNING_MILLIS) {
            context.warn("the guest's clock will be " + behind + " ms behind: a slow switch-over, or the clocks of "
                    + from + " and " + context.localHost().hostname() + " differ");
        }
        Optional<DomainSpec> here = context.capability(DomainSpec.class);
        if (here.isPresent()) {
            ClockOffset defined = clockOf(here, sent.sentMillis());
            if (!defined.offset().equals(sent.offset()) || defined.adjustmentSeconds() != sent.adjustmentSeconds()) {
                context.warn("the destination's definition sets the clock " + defined.offset() + " "
                        + signed(defined.adjustmentSeconds()) + " s, the guest ran with " + sent.offset() + " "
                        + signed(sent.adjustmentSeconds()) + " s");
            }
        }
    }

    private static ClockOffset clockOf(Optional<DomainSpec> domain, long now) throws CookieException {
        if (domain.isEmpty()) {
            return new ClockOffset("utc", 0, now);
        }
        Element clock = clockElement(domain.get().xml());
        if (clock == null || clock.getAttribute("offset").isEmpty()) {
            return new ClockOffset("utc", 0, now);
        }
        return new ClockOffset(clock.getAttribute("offset"), number(clock, "adjustment"), now);
    }

    /** The definition's {@code <clock>}, or null. The XML is the daemon's, already checked when it was defined. */
    private static Element clockElement(String domainXml) throws CookieException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Element domain = factory.newDocumentBuilder()
                    .parse(new ByteArrayInputStream(domainXml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
            NodeList clocks = domain.getElementsByTagName("clock");
            return clocks.getLength() == 0 ? null : (Element) clocks.item(0);
        } catch (Exception e) {
            throw new CookieException("cannot read the clock of the domain definition: " + e.getMessage(), e);
        }
    }

    /** An attribute's whole number; 0 when absent. */
    private static long number(Element element, String attribute) throws CookieException {
        String text = element.getAttribute(attribute).trim();
        try {
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new CookieException("malformed " + attribute + " '" + text + "' in clock section");
        }
    }

    private static String signed(long seconds) {
        return seconds < 0 ? Long.toString(seconds) : "+" + seconds;
    }
}
