package io.ferry.core.cookie;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionHandle;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlWriter;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The size and depth a peer accepts of a cookie (its parser's limits, which are this host's own by default), checked
 * as the cookie is written: past them, the peer would refuse the whole cookie naming no section, so the section that
 * made it so fails instead, and an optional one is left out ({@link CookieBakery#bake}) as when its format fails.
 */
final class CookieLimits {
    /** The cookie's root and a section's own element: the depth a fragment's first element is at. */
    private static final int FRAGMENT_DEPTH = 2;

    private CookieLimits() {
    }

    /**
     * Checked before the cookie is written (the writer recurses: a hostile nesting must not reach it).
     *
     * @param handles the sections in the order of {@code fragments}, their elements in the cookie
     * @throws SectionFailure naming the section whose fragment nests past the limit of {@code parser}
     */
    static void checkDepth(HardenedXmlParser parser, List<SectionHandle> handles, List<Element> fragments) throws SectionFailure {
        for (int i = 0; i < fragments.size(); i++) {
            int depth = FRAGMENT_DEPTH - 1 + depth(fragments.get(i), parser.maxDepth());
            if (depth > parser.maxDepth()) {
                throw new SectionFailure("cookie section " + feature(handles.get(i)) + " made the migration cookie deeper than"
                        + " its limit of " + parser.maxDepth() + " elements", null, handles.get(i));
            }
        }
    }

    /**
     * @param handles the sections in the order of {@code fragments}, their elements in the cookie
     * @throws CookieException when {@code xml} is past the size limit of {@code parser}: a {@link SectionFailure} naming
     *         the section at fault
     */
    static void checkSize(HardenedXmlParser parser, String xml, List<SectionHandle> handles, List<Element> fragments)
            throws CookieException {
        long size = (long) xml.length() * 3 <= parser.maxBytes() ? xml.length() : xml.getBytes(StandardCharsets.UTF_8).length;
        if (size <= parser.maxBytes()) {
            return;
        }
        long[] sizes = fragments.stream().mapToLong(f -> XmlWriter.write(f).getBytes(StandardCharsets.UTF_8).length).toArray();
        // leaving optional sections out is tried first, when it can be enough; otherwise the largest fragment is at fault
        List<Integer> optional = IntStream.range(0, sizes.length)
                .filter(i -> handles.get(i).descriptor().mandatory() == Mandatory.NEVER).boxed().toList();
        long optionalBytes = optional.stream().mapToLong(i -> sizes[i]).sum();
        List<Integer> suspects = optionalBytes >= size - parser.maxBytes() ? optional
                : IntStream.range(0, sizes.length).boxed().toList();
        int culprit = suspects.stream().max(Comparator.comparingLong(i -> sizes[i]))
                .orElseThrow(() -> new CookieException("the migration cookie is " + size + " bytes, over the limit of "
                        + parser.maxBytes() + " bytes"));
        throw new SectionFailure("cookie section " + feature(handles.get(culprit)) + " made the migration cookie " + size
                + " bytes, over the limit of " + parser.maxBytes() + " bytes (its fragment is " + sizes[culprit] + " bytes)",
                null, handles.get(culprit));
    }

    private static String feature(SectionHandle handle) {
        return handle.descriptor().feature();
    }

    /** The element nesting of {@code root} and what it holds (1: no element inside), counted no further than past {@code limit}. */
    private static int depth(Element root, int limit) {
        Node node = root;
        int depth = 1;
        int deepest = 1;
        while (deepest <= limit) { // iterative: a hostile nesting must not overflow the stack
            Node child = firstElement(node.getFirstChild());
            if (child != null) {
                node = child;
                deepest = Math.max(deepest, ++depth);
                continue;
            }
            while (node != root && firstElement(node.getNextSibling()) == null) {
                node = node.getParentNode();
                depth--;
            }
            if (node == root) {
                break;
            }
            node = firstElement(node.getNextSibling());
        }
        return deepest;
    }

    /** {@code node} or the first element among its following siblings, or null. */
    private static Node firstElement(Node node) {
        while (node != null && node.getNodeType() != Node.ELEMENT_NODE) {
            node = node.getNextSibling();
        }
        return node;
    }
}
