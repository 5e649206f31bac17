package io.ferry.bench.jmh;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.builtin.CapabilitiesSection;
import io.ferry.core.builtin.PersistentSection;
import io.ferry.core.builtin.StatisticsSection;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.core.cookie.EatRules;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import io.ferry.plugin.graphics.GraphicsSection;
import io.ferry.plugin.lockstate.LockstateSection;
import io.ferry.plugin.ovs.NetworkSection;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.w3c.dom.Document;

/**
 * The cookie codec on libvirt's fullest corpus cookie ({@code full-xml2xml-in.xml}, less the two features only libvirt
 * knows), with the shipped sections as a daemon has them: {@link #parseAndFormat} is one parse and one format, the
 * target figure; {@link #hardenedParseOnly} parses the same bytes into DOM and nothing else, the baseline of the
 * same run. Run by {@code bench/run} through JMH's runner, never by the tests.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CookieCodecBench {
    /** The corpus file, from the repository's root. */
    @Param("core/src/test/resources/libvirt-cookies/full-xml2xml-in.xml")
    public String cookie;

    private byte[] xml;
    private CookieCodec codec;
    private HardenedXmlParser parser;
    private SectionSet sections;
    private ExecutorService workers;

    @Setup
    public void setUp() throws Exception {
        String text = Files.readString(Path.of(cookie), StandardCharsets.UTF_8);
        for (String libvirtOnly : List.of("memory-hotplug", "cpu-hotplug")) {
            text = text.replaceAll("(?m)^[ \\t]*<feature name='" + libvirtOnly + "'/>[ \\t]*\\r?\\n", "");
        }
        xml = text.getBytes(StandardCharsets.UTF_8);
        parser = new HardenedXmlParser();
        codec = new CookieCodec(parser);
        workers = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "section-worker");
            thread.setDaemon(true);
            return thread;
        });
        sections = new SectionSet(new ArrayList<>(List.of(
                handle(new PersistentSection(), "persistent", "domain", Mandatory.NEVER, List.of(Phase.PERFORM), List.of(Phase.FINISH)),
                handle(new StatisticsSection(), "statistics", "statistics", Mandatory.NEVER,
                        List.of(Phase.PERFORM, Phase.FINISH), List.of(Phase.FINISH, Phase.CONFIRM)),
                handle(new CapabilitiesSection(), "capabilities", "capabilities", Mandatory.NEVER,
                        List.of(Phase.BEGIN, Phase.PREPARE), List.of(Phase.PREPARE, Phase.PERFORM)),
                handle(new GraphicsSection(), "graphics", "graphics", Mandatory.NEVER, List.of(Phase.PREPARE), List.of(Phase.PERFORM)),
                handle(new LockstateSection(), "lockstate", "lockstate", Mandatory.WHEN_BAKED,
                        List.of(Phase.BEGIN, Phase.PERFORM), List.of(Phase.PREPARE, Phase.FINISH)),
                handle(new NetworkSection(), "network", "network", Mandatory.NEVER, List.of(Phase.PERFORM), List.of(Phase.FINISH)))));
        if (codec.parse(xml, EatRules.roundTrip(), sections).sections().size() != 6) {
            throw new IllegalStateException("the corpus cookie did not parse into its six sections");
        }
    }

    @TearDown
    public void tearDown() {
        workers.shutdownNow();
    }

    @Benchmark
    public String parseAndFormat() throws Exception {
        ParsedCookie parsed = codec.parse(xml, EatRules.roundTrip(), sections);
        return codec.format(parsed.header(), parsed.features(), parsed.sections());
    }

    @Benchmark
    public Document hardenedParseOnly() throws Exception {
        return parser.parse(xml, "migration cookie");
    }

    /** A section as the registry would hand it out: its annotation's properties, calls on the daemon's workers. */
    private SectionHandle handle(CookieSection<?> section, String feature, String element, Mandatory mandatory, List<Phase> bakes,
            List<Phase> eats) {
        Map<String, Object> properties = new HashMap<>();
        properties.put(CookieSection.FEATURE, feature);
        properties.put(CookieSection.ELEMENT, element);
        properties.put(CookieSection.VERSION, "1.0");
        properties.put(CookieSection.MANDATORY, mandatory.name());
        properties.put(CookieSection.BAKES, bakes.stream().map(Phase::name).toArray(String[]::new));
        properties.put(CookieSection.EATS, eats.stream().map(Phase::name).toArray(String[]::new));
        return new SectionHandle(SectionDescriptor.fromProperties(properties, "bench/" + feature), SectionSource.of(section), workers,
                Duration.ofSeconds(30));
    }
}
