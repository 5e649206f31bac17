package io.ferry.core.control;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per state-changing request on logger {@value #LOGGER}: who (certificate subject, or address on plain
 * TCP) and as what, the operation, the domain or migration it concerns, and the outcome ({@code ok}, or the error).
 */
final class Audit {
    static final String LOGGER = "io.ferry.audit";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private Audit() {
    }

    static void record(Call call, String outcome) {
        if (call.operation().changesState()) {
            LOG.info("{}", line(call, outcome));
        }
    }

    /**
     * The line as logged. A request chooses much of it (a name in its path, a migration id in its body, the error
     * that echoes them), and the log writes it as it is: each part keeps to the one line.
     */
    static String line(Call call, String outcome) {
        return oneLine(call.caller()) + " " + oneLine(call.operation().display()) + " " + oneLine(call.target()) + ": "
                + oneLine(outcome);
    }

    /**
     * The part with its line breaks, other control characters and bidirectional formatting characters escaped as in
     * a Java string literal: the latter would show a reader the line's text in another order than it is.
     */
    private static String oneLine(Object part) {
        String text = String.valueOf(part);
        if (text.chars().noneMatch(Audit::misleads)) {
            return text;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                default -> {
                    if (misleads(c)) {
                        escaped.append(String.format("\\u%04x", (int) c));
                    } else {
                        escaped.append(c);
                    }
                }
            }
        }
        return escaped.toString();
    }

    /**
     * A control character (C0, DEL, C1: NEL among them), a Unicode line or paragraph separator, or a bidirectional
     * mark, embedding, override or isolate (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069).
     */
    private static boolean misleads(int c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\u061c' || c == '\u200e'
                || c == '\u200f' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
