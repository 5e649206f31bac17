package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import io.ferry.api.cookie.CookieException;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cookie sections a domain cannot migrate without, as this host knows them: those the last migration that
 * brought it here carried as mandatory, and any a Begin here baked as mandatory since, kept in
 * {@code STATE/mandatory/UUID}; and those its definition names ({@code <metadata><ferry:sections
 * xmlns:ferry='http://ferry.io/xmlns/ferry/1.0'><ferry:mandatory feature='tpm'/></ferry:sections></metadata>}).
 * A Begin waits for them to be registered rather than bake without one whose bundle happens to be re-registering.
 */
final class MandatorySections {
    private static final Logger LOG = LoggerFactory.getLogger(MandatorySections.class);
    static final String NAMESPACE = "http://ferry.io/xmlns/ferry/1.0";
    /** What a section's feature may be (SectionDescriptor checks each registration's). */
    private static final Pattern FEATURE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9._-]*");
    private final Path directory;
    private final HardenedXmlParser parser;

    MandatorySections(Path stateDir, HardenedXmlParser parser) {
        this.directory = stateDir.resolve("mandatory");
        this.parser = parser;
    }

    /** What a migration of {@code spec} needs, by its last migration here and by its definition. */
    Set<String> of(DomainSpec spec) throws CookieException {
        Set<String> features = new TreeSet<>(remembered(spec.uuid()));
        if (spec.xml().contains(NAMESPACE)) { // the definition was read and checked when it was defined
            try {
                Element domain = parser.parse(spec.xml().getBytes(StandardCharsets.UTF_8), "domain definition").getDocumentElement();
                NodeList declared = domain.getElementsByTagNameNS(NAMESPACE, "mandatory");
                for (int i = 0; i < declared.getLength(); i++) {
                    features.add(((Element) declared.item(i)).getAttribute("feature"));
                }
            } catch (XmlException e) {
                throw new CookieException("the definition of domain " + spec.name() + " cannot be read: " + e.getMessage(), e);
            }
        }
        return features;
    }

    /**
     * A Begin of the domain baked {@code features} as mandatory: added to what is remembered, never in place of it.
     * A Begin bakes only its own phase's sections, and one that goes no further proves nothing about the others (a
     * section baked at Perform). Failure is logged: it only weakens a check.
     */
    void add(UUID domain, Collection<String> features) {
        Set<String> grown = new TreeSet<>(remembered(domain));
        grown.addAll(features);
        write(domain, grown);
    }

    /**
     * A migration of the domain committed here carrying {@code features} as all its mandatory sections (its Begin's
     * and its Perform's): what the domain needs from now on, so a section it no longer carries is forgotten.
     * Failure is logged: it only weakens a check.
     */
    void replace(UUID domain, Collection<String> features) {
        write(domain, new TreeSet<>(features));
    }

    private void write(UUID domain, Set<String> features) {
        if (remembered(domain).equals(features)) {
            return; // as every migration of the domain before: nothing to write
        }
        try {
            // survives the daemon's crash; a power cut may take the last change back (the definition's metadata and
            // the next Begin still say what is mandatory)
            AtomicFiles.replace(directory.resolve(domain.toString()), String.join("\n", features).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("cannot remember the mandatory sections of domain {}: {}", domain, e.getMessage());
        }
    }

    /**
     * What {@link #write} kept: a line that is no feature name (NUL bytes a power cut left, a disk's garbage) names no
     * section that could be waited for, and every Begin of the domain would fail waiting for it: left out, logged.
     */
    private Set<String> remembered(UUID domain) {
        Path file = directory.resolve(domain.toString());
        try {
            if (!Files.exists(file)) {
                return Set.of();
            }
            Set<String> features = new TreeSet<>();
            for (String line : Files.readString(file, StandardCharsets.ISO_8859_1).lines().filter(l -> !l.isBlank()).toList()) {
                if (FEATURE_NAME.matcher(line).matches()) {
                    features.add(line);
                } else {
                    LOG.warn("the mandatory sections of domain {} in {} hold {}, which names no section: left out", domain,
                            file, "'" + Xml.oneLine(line, 100) + "'");
                }
            }
            return features;
        } catch (IOException e) {
            LOG.warn("cannot read the mandatory sections of domain {}: {}", domain, e.getMessage());
            return Set.of();
        }
    }
}
