package io.ferry.core.cookie;

import java.util.UUID;

/** The envelope's identity: the domain's name and UUID, and the host that baked the cookie. */
public record CookieHeader(String name, String uuid, String hostname, UUID hostUuid) {
}
