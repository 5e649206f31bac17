package io.ferry.core.section;

/**
 * A section whose registration went away between the moment its caller took it and its call: its bundle was
 * stopped, updated or uninstalled. Unlike a section that threw, the call never ran, so the caller may take the
 * sections again and run it on the registration that replaced it ({@link io.ferry.core.cookie.CookieBakery}).
 */
public final class SectionGone extends SectionFailure {
    private static final long serialVersionUID = 1L;

    public SectionGone(String message) {
        super(message);
    }

    SectionGone(SectionGone gone, SectionHandle section) {
        super(gone.getMessage(), gone, section);
    }
}
