package io.ferry.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * Every migration message of the control channel read from hostile bytes, as {@code MigrationResource} reads
 * a request body: the hardened parser refuses with {@link XmlException}, a message reader with
 * {@link ChannelException} (both one line), and what a reader accepts writes and reads back the same.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/protocol/MessagesFuzzTestInputs/}.
 */
class MessagesFuzzTest {
    private static final HardenedXmlParser PARSER = new HardenedXmlParser();

    private interface Reader<T> {
        T read(Xml message) throws ChannelException;
    }

    /** One message type: its reader, its writer, and the sections it carries (negotiation reads their major). */
    private record Kind<T>(Reader<T> reader, Function<T, String> writer, Function<T, List<Messages.SectionVersion>> sections) {
        Kind(Reader<T> reader, Function<T, String> writer) {
            this(reader, writer, t -> null);
        }

        /** Reads {@code message} as this kind; when accepted, writes it, reads it again and compares. */
        void roundTrip(Xml message) throws XmlException, ChannelException {
            T parsed;
            try {
                parsed = reader.read(message);
            } catch (ChannelException e) {
                assertOneLine(e.getMessage());
                return;
            }
            List<Messages.SectionVersion> carried = sections.apply(parsed);
            if (carried != null) {
                carried.forEach(Messages.SectionVersion::major);
            }
            String written = writer.apply(parsed);
            T again = reader.read(parse(written.getBytes(StandardCharsets.UTF_8)));
            assertEquals(parsed, again, () -> "read back differently after writing:\n" + written);
        }
    }

    private static final List<Kind<?>> KINDS = List.of(
            new Kind<>(Messages.Migrate::fromXml, Messages.Migrate::toXml),
            new Kind<>(Messages.Begin::fromXml, Messages.Begin::toXml),
            new Kind<>(Messages.Begun::fromXml, Messages.Begun::toXml, Messages.Begun::sections),
            new Kind<>(Messages.Prepare::fromXml, Messages.Prepare::toXml, Messages.Prepare::sections),
            new Kind<>(Messages.Prepared::fromXml, Messages.Prepared::toXml, Messages.Prepared::sections),
            new Kind<>(Messages.Perform::fromXml, Messages.Perform::toXml, Messages.Perform::peerSections),
            new Kind<>(Messages.Performed::fromXml, Messages.Performed::toXml),
            new Kind<>(Messages.Finish::fromXml, Messages.Finish::toXml),
            new Kind<>(Messages.Finished::fromXml, Messages.Finished::toXml),
            new Kind<>(Messages.Confirm::fromXml, Messages.Confirm::toXml),
            new Kind<>(Messages.MigrationKey::fromXml, k -> k.toXml("settle")),
            new Kind<>(Messages.Fate::fromXml, Messages.Fate::toXml),
            new Kind<>(Messages.Endpoint::fromXml, Messages.Endpoint::toXml));

    @DictionaryEntries({"<migrate", "<begin", "<begun", "<prepare", "<prepared", "<perform", "<performed", "<finish",
            "<finished", "<confirm", "<settle", "<fate", "<endpoint", " id='", " key='", " flags='", " domain='", " dest='",
            " uri='", " token='", " source='", " keeps-definition='yes'", " cancelled='yes'", " outcome='", " bandwidth='",
            " dname='", " journal='", "<sections>", "<section feature='", " version='1.0'", "<cookie>", "<xml>", "<domain>",
            "live,p2p,tunnelled,offline", "persistent,undefinesource,v2", "&#13;", "&amp;", "<![CDATA[", "]]>", "<!DOCTYPE",
            "/>", "</", " busy='yes'"})
    @FuzzTest(maxDuration = "2h", maxExecutions = 10_000_000)
    void everyMessageIsReadOrRefusedAndWritesBackTheSame(byte[] body) throws Exception {
        Xml message;
        try {
            message = parse(body);
        } catch (XmlException e) {
            assertOneLine(e.getMessage());
            return;
        }
        for (Kind<?> kind : KINDS) {
            kind.roundTrip(message);
        }
    }

    private static Xml parse(byte[] body) throws XmlException {
        return Xml.of(PARSER.parse(body, "migration message").getDocumentElement());
    }

    static void assertOneLine(String message) {
        assertTrue(message != null && !message.isBlank() && message.indexOf('\n') < 0 && message.indexOf('\r') < 0,
                () -> "an error must be one line naming the fault, got: " + message);
    }
}
