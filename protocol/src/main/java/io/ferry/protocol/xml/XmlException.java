package io.ferry.protocol.xml;

/** XML that cannot be accepted: malformed, hostile or over a limit. The message is one line for the user. */
public class XmlException extends Exception {
    private static final long serialVersionUID = 1L;

    public XmlException(String message) {
        super(message);
    }

    public XmlException(String message, Throwable cause) {
        super(message, cause);
    }
}
