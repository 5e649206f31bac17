package io.ferry.testkit;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.core.cookie.CookieHeader;
import io.ferry.core.cookie.EatRules;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place where the kit uses the core's private parts (compiled into the kit, see its pom): the cookie codec
 * with the daemon's limits, and section handles, which call a section on a worker thread with a time limit and
 * report its failures as a daemon does.
 */
final class CoreParts {
    /** The daemon's default section timeout ({@code ferryd --section-timeout}). */
    static final Duration SECTION_TIMEOUT = Duration.ofSeconds(30);

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "ferry-section-" + THREADS.incrementAndGet());
        thread.setDaemon(true); // a section that hangs cannot keep the test JVM alive
        return thread;
    });
    private static final CookieCodec CODEC = new CookieCodec(new HardenedXmlParser());

    private CoreParts() {
    }

    /** A section as a daemon holds it. */
    static SectionHandle handle(CookieSection<?> section, SectionMetadata metadata, Duration timeout) {
        return new SectionHandle(metadata.descriptor(), SectionSource.of(section), WORKERS, timeout);
    }

    /**
     * A whole cookie with one section's fragment, as {@code baker} would send it in its migration and phase (a daemon's
     * cookie names them, and is read by the daemon's rules for such a cookie); the feature announced if asked. Without
     * the fragment (and the feature) when {@code value} is null: a daemon's cookie when the section baked nothing.
     */
    static String cookie(SectionHandle handle, Object value, boolean announce, SectionContext baker) throws CookieException {
        CookieHeader header = new CookieHeader(baker.domainName(), baker.domainUuid().toString(),
                baker.localHost().hostname(), baker.localHost().uuid(),
                new CookieHeader.Origin(baker.migrationId(), baker.phase()));
        if (value == null) {
            return CODEC.format(header, List.of(), List.of());
        }
        return CODEC.format(header, announce ? List.of(handle.descriptor().feature()) : List.of(),
                List.of(new ParsedCookie.Section(handle, value)));
    }

    /** What the cookie's parse gives the section of {@code handle}, as the eater of {@code phase} reads it. */
    static Parsed parse(String cookie, Phase phase, SectionHandle handle, SectionContext eater) throws CookieException {
        ParsedCookie parsed = CODEC.parse(cookie.getBytes(StandardCharsets.UTF_8),
                new EatRules(phase, eater.localHost().uuid(), null, eater.domainUuid().toString()), new SectionSet(List.of(handle)));
        return new Parsed(parsed.value(handle.descriptor().feature()), parsed.features().contains(handle.descriptor().feature()),
                new SectionContext.Host(parsed.header().hostname(), parsed.header().hostUuid()));
    }

    /** A parsed cookie as one section sees it. */
    record Parsed(Optional<Object> value, boolean announced, SectionContext.Host baker) {
    }

    static UUID uuid(int n) {
        return UUID.fromString(String.format(Locale.ROOT, "00000000-0000-4000-8000-%012d", n));
    }
}
