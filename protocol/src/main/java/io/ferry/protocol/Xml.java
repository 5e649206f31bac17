package io.ferry.protocol;

import io.ferry.protocol.xml.Documents;
import io.ferry.protocol.xml.XmlWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Builds and reads the protocol's small XML messages. Cookies and definitions travel as element text. */
public final class Xml {
    private final Element element;

    private Xml(Element element) {
        this.element = element;
    }

    public static Xml create(String name) {
        Document document = Documents.create();
        Element root = document.createElement(name);
        document.appendChild(root);
        return new Xml(root);
    }

    public static Xml of(Element element) {
        return new Xml(element);
    }

    public Xml attr(String name, Object value) {
        if (value != null) {
            element.setAttribute(name, value.toString());
        }
        return this;
    }

    /** A child element holding {@code text}; nothing when text is null. */
    public Xml text(String name, String text) {
        if (text != null) {
            Element child = element.getOwnerDocument().createElement(name);
            child.setTextContent(text);
            element.appendChild(child);
        }
        return this;
    }

    public Xml child(String name) {
        Element child = element.getOwnerDocument().createElement(name);
        element.appendChild(child);
        return new Xml(child);
    }

    public String name() {
        return element.getTagName();
    }

    /** An attribute, or null when absent. */
    public String attr(String name) {
        return element.hasAttribute(name) ? element.getAttribute(name) : null;
    }

    public String required(String name) throws ChannelException {
        String value = attr(name);
        if (value == null || value.isEmpty()) {
            throw new ChannelException("malformed <" + element.getTagName() + "> message: no " + name, false);
        }
        return value;
    }

    /**
     * A numeric attribute of a request: {@code absent} when it is absent, and refused when it is anything but a number
     * ({@code '100M'}, {@code ' 100'}), which {@link #number} would read as its fallback: a cap or limit silently lifted.
     */
    public long requestNumber(String name, long absent) throws ChannelException {
        String value = attr(name);
        try {
            return value == null ? absent : Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ChannelException("malformed <" + element.getTagName() + "> message: " + name + " " + quote(value)
                    + " is not a number", false);
        }
    }

    /** A numeric attribute of a reply (a figure to show): {@code fallback} when absent or not a number. */
    public long number(String name, long fallback) {
        String value = attr(name);
        try {
            return value == null ? fallback : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** This element's text. */
    public String text() {
        return element.getTextContent();
    }

    /** The text of the first child named {@code name}, or null. */
    public String childText(String name) {
        for (Xml child : children(name)) {
            return child.element.getTextContent();
        }
        return null;
    }

    public List<Xml> children(String name) {
        List<Xml> children = new ArrayList<>();
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element child && child.getTagName().equals(name)) {
                children.add(new Xml(child));
            }
        }
        return children;
    }

    /**
     * An enum constant as the messages and the files on disk name it: in lower case, the same in every locale (a
     * Turkish one lower-cases I to a dotless ı).
     */
    public static String keyword(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The constant of {@code type} that {@code keyword} names, in either case; also as a build before {@link
     * #keyword(Enum)} wrote it in a Turkish locale, with a dotless ı for each i.
     *
     * @throws IllegalArgumentException when it names none
     */
    public static <E extends Enum<E>> E keyword(Class<E> type, String keyword) {
        return Enum.valueOf(type, keyword.replace('\u0130', 'I').toUpperCase(Locale.ROOT));
    }

    /** {@code text} in single quotes for an error message, its control characters escaped so it stays one line. */
    public static String quote(String text) {
        return "'" + escapeControls(text) + "'";
    }

    /**
     * A message that may quote a peer's text, as a log line or a reply carries it: one line (control characters escaped),
     * cut after {@code max} characters.
     */
    public static String oneLine(String text, int max) {
        return escapeControls(text.length() > max ? text.substring(0, max) + "…" : text);
    }

    /**
     * {@code text} with its control characters (line breaks among them) and Unicode's line and paragraph separators
     * (U+2028, U+2029: XML carries them, and a log reader splitting at line breaks takes them for one) written as
     * {@code \\uXXXX}.
     */
    public static String escapeControls(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        text.codePoints().forEach(c -> escaped.append(breaksALine(c) ? String.format("\\u%04x", c)
                : new String(Character.toChars(c))));
        return escaped.toString();
    }

    /** Whether {@code c} is a control character or one of Unicode's line and paragraph separators. */
    private static boolean breaksALine(int c) {
        return Character.isISOControl(c) || c == 0x2028 || c == 0x2029;
    }

    public String write() {
        return XmlWriter.write(element);
    }
}
