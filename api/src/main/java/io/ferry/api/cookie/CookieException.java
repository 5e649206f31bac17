package io.ferry.api.cookie;

/**
 * A cookie, or one fragment of it, that cannot be accepted. The message is shown to the user as it is, so it
 * names what is wrong in libvirt's words where libvirt has them ("missing port attribute in migration data"),
 * on one line: a line break in it (in a value quoted from the cookie) becomes a space.
 */
public class CookieException extends Exception {
    private static final long serialVersionUID = 1L;

    public CookieException(String message) {
        super(oneLine(message));
    }

    public CookieException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        return message == null ? null : message.replaceAll("[\\r\\n]+\\s*", " ");
    }
}
