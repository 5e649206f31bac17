package io.ferry.core.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;

/**
 * Domain definitions from hostile bytes, with the daemon's XML limits: {@link DomainXml#parse} accepts or
 * refuses with a one-line {@link CookieException}, and what it accepts survives what the daemon does with it:
 * stored as a definition and parsed again, and wrapped in the status file of an active domain
 * ({@link StatusXml}) and read back, in any state, to the same {@link DomainSpec}.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/core/domain/DomainXmlFuzzTestInputs/}.
 */
class DomainXmlFuzzTest {
    private static final HardenedXmlParser PARSER = new HardenedXmlParser();
    private static final DomainXml DOMAIN_XML = new DomainXml(PARSER);
    private static final StatusXml STATUS_XML = new StatusXml(PARSER, DOMAIN_XML);

    @DictionaryEntries({"<domain type='sim'>", "</domain>", "<name>", "</name>", "<uuid>", "</uuid>", "<memory unit='",
            "</memory>", "<vcpu>", "</vcpu>", "<devices>", "</devices>", "<disk type='file'>", "<source file='",
            "<target dev='", "<interface type='bridge'>", "<mac address='", "<source bridge='", "<virtualport type='",
            "<graphics type='vnc' port='", " autoport='yes'", " listen='", "<description>", "GiB", "KiB", "&#13;",
            "&amp;", "<![CDATA[", "]]>", "<!DOCTYPE", "/>", "</", "\\x0A"})
    @FuzzTest(maxDuration = "2h", maxExecutions = 10_000_000)
    void acceptedDefinitionsAreStoredAndReadBackTheSame(byte[] definition) throws CookieException {
        DomainSpec spec;
        try {
            spec = DOMAIN_XML.parse(new String(definition, StandardCharsets.UTF_8));
        } catch (CookieException e) {
            String message = e.getMessage();
            assertTrue(message != null && !message.isBlank(), "a refusal must say why");
            assertFalse(message.contains("\n") || message.contains("\r"), () -> "a refusal must be one line: " + message);
            return;
        }
        assertEquals(spec, DOMAIN_XML.parse(spec.xml()), () -> "the stored definition reads back differently:\n" + spec.xml());
        // the input picks the state, so that every state and reason gets written
        DomainState state = DomainState.values()[Math.floorMod(definition.length, DomainState.values().length)];
        DomainState.Reason reason = DomainState.Reason.values()[Math.floorMod(definition.length, DomainState.Reason.values().length)];
        ReleasedLeases released = switch (definition.length % 3) {
            case 0 -> null;
            case 1 -> ReleasedLeases.withState(spec.name(), null);
            default -> ReleasedLeases.lostTo(spec.name());
        };
        String status = STATUS_XML.write(spec, state, reason, released);
        assertEquals(new StatusXml.Status(spec, state, reason, released), STATUS_XML.read(status),
                () -> "the status file reads back differently:\n" + status);
    }
}
