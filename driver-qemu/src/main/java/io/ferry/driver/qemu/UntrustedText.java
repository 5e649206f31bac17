package io.ferry.driver.qemu;

/**
 * What QEMU says (a QMP error, its log's last line) quoted in an error message: QEMU runs guest-controlled code, so
 * its words are kept to one line of bounded length, without control characters that would forge log lines or
 * drive a terminal.
 */
final class UntrustedText {
    static final int MAX_CHARS = 1000;

    private UntrustedText() {
    }

    static String of(String text) {
        String bounded = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) + "…" : text;
        StringBuilder clean = new StringBuilder(bounded.length());
        // U+2028 and U+2029, Unicode's line and paragraph separators, break a line for a log reader too
        bounded.codePoints().forEach(c -> clean.appendCodePoint(
                Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? '?' : c));
        return clean.toString();
    }
}
