package io.ferry.core.control;

/**
 * Who sent a request: the subject of its client certificate (TLS), or its address (plain TCP on loopback), and
 * what that one may do here.
 *
 * @param refusal why the certificate may do nothing here; null when it may
 */
record Caller(String who, Role role, String refusal) {
    /** What a caller may do. */
    enum Role {
        /** Everything. */
        OPERATOR,
        /** Only the calls of the migrations it takes part in. */
        PEER
    }

    static Caller operator(String who) {
        return new Caller(who, Role.OPERATOR, null);
    }

    @Override
    public String toString() {
        return who + " (" + (refusal != null ? "refused" : role.name().toLowerCase(java.util.Locale.ROOT)) + ")";
    }
}
