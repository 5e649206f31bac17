package io.ferry.core.control;

import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per state-changing request on logger {@value #LOGGER}: who (certificate subject, or address on plain
 * TCP) and as what, the operation, the domain or migration it concerns, and the outcome ({@code ok}, or the error).
 */
final class Audit {
    static final String LOGGER = "io.ferry.audit";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final Pattern LINE_BREAK = Pattern.compile("\\s*\\R\\s*");

    private Audit() {
    }

    static void record(Call call, String outcome) {
        if (call.operation().changesState()) {
            LOG.info("{} {} {}: {}", call.caller(), call.operation().display(), call.target(), oneLine(outcome));
        }
    }

    private static String oneLine(String text) {
        return LINE_BREAK.matcher(String.valueOf(text)).replaceAll(" ");
    }
}
