package io.ferry.api.cookie;

/**
 * A cookie, or one fragment of it, that cannot be accepted. The message is shown to the user as it is, so it
 * names what is wrong in libvirt's words where libvirt has them ("missing port attribute in migration data").
 */
public class CookieException extends Exception {
    private static final long serialVersionUID = 1L;

    public CookieException(String message) {
        super(message);
    }

    public CookieException(String message, Throwable cause) {
        super(message, cause);
    }
}
