package io.ferry.core.cookie;

import io.ferry.api.cookie.Phase;
import java.util.UUID;

/**
 * The envelope's identity: the domain's name and UUID, the host that baked the cookie, and, beyond libvirt, the
 * migration and phase it was baked for ({@link Origin}; null in libvirt's cookies, older Ferry's and the cookie
 * tools').
 */
public record CookieHeader(String name, String uuid, String hostname, UUID hostUuid, Origin origin) {

    /** A header that says nothing of its migration: libvirt's envelope. */
    public CookieHeader(String name, String uuid, String hostname, UUID hostUuid) {
        this(name, uuid, hostname, hostUuid, null);
    }

    /**
     * The migration and phase a cookie was baked for, as attributes of its root element (libvirt's parser and older
     * Ferry's ignore them): what ties a cookie to the one call it answers, since its name and UUID are the same in every
     * migration of the guest.
     */
    public record Origin(String migration, Phase phase) {
        /** "the Perform cookie of migration X". */
        public String describe() {
            return "the " + CookieHeader.display(phase) + " cookie of migration " + migration;
        }
    }

    /** "Begin", "Perform": a phase as messages name it. */
    public static String display(Phase phase) {
        String name = phase.cliName();
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
