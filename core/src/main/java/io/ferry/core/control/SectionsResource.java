package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.xml.XmlWriter;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionRegistry;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** {@code GET /v1/sections}: the installed cookie sections and their metadata. */
final class SectionsResource implements Resource {
    private final SectionRegistry registry;

    SectionsResource(SectionRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void handle(HttpExchange exchange, String subPath) throws IOException, Exchanges.BadRequest {
        if (!subPath.isEmpty() || !exchange.getRequestMethod().equals("GET")) {
            throw new Exchanges.BadRequest(405, "use GET /v1/sections");
        }
        Document document = CookieCodec.newDocument();
        Element sections = document.createElement("sections");
        for (SectionHandle handle : registry.snapshot().all()) {
            SectionDescriptor d = handle.descriptor();
            Element section = document.createElement("section");
            section.setAttribute("feature", d.feature());
            section.setAttribute("element", d.element());
            section.setAttribute("version", d.version());
            section.setAttribute("mandatory", d.mandatory().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            section.setAttribute("bakes", phases(d.bakes()));
            section.setAttribute("eats", phases(d.eats()));
            section.setAttribute("bundle", d.bundle());
            sections.appendChild(section);
        }
        Exchanges.reply(exchange, 200, XmlWriter.write(sections));
    }

    private static String phases(Set<Phase> phases) {
        return phases.stream().sorted().map(Phase::cliName).collect(Collectors.joining(","));
    }
}
