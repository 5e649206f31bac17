package io.ferry.api.cookie;

/**
 * When a section's feature is announced as mandatory ({@code <feature name='…'/>}) in the cookie it bakes.
 * An eater that does not know a mandatory feature refuses the cookie, so a section whose loss would be unsafe
 * (lease state, snapshot metadata) must be mandatory; one whose loss only costs comfort (graphics relocation)
 * must not be.
 */
public enum Mandatory {
    /** Never announced: a peer without the section ignores its fragment. */
    NEVER,
    /** Announced whenever the section baked a fragment into the cookie. */
    WHEN_BAKED
}
