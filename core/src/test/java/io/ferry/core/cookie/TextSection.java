package io.ferry.core.cookie;

import io.ferry.api.cookie.CookieSection;
import org.w3c.dom.Element;

/** A test section whose value is its fragment's text: tests override only the phases they exercise. */
public abstract class TextSection implements CookieSection<String> {
    @Override
    public String parse(Element fragment) {
        return fragment.getTextContent();
    }

    @Override
    public void format(String value, Element fragment) {
        fragment.setTextContent(value);
    }
}
