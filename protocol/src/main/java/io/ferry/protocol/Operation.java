package io.ferry.protocol;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every call of the control channel: its method and path under {@code /v1/} ({@code {name}} marks a path parameter),
 * and whether it changes anything on the daemon. The daemon routes by this table; the clients build their requests
 * from it, so both sides name a call the same way.
 */
public enum Operation {
    LIST_DOMAINS("GET", "domains", false),
    DEFINE("POST", "domains", true),
    DOMAIN_INFO("GET", "domains/{domain}", false),
    DOMAIN_XML("GET", "domains/{domain}/xml", false),
    UNDEFINE("DELETE", "domains/{domain}", true),
    START("POST", "domains/{domain}/start", true),
    DESTROY("POST", "domains/{domain}/destroy", true),
    RESUME("POST", "domains/{domain}/resume", true),
    SUSPEND("POST", "domains/{domain}/suspend", true),
    JOB_INFO("GET", "domains/{domain}/job", false),
    JOB_ABORT("POST", "domains/{domain}/job/abort", true),
    JOB_SPEED("POST", "domains/{domain}/job/speed", true),
    JOB_MAX_DOWNTIME("POST", "domains/{domain}/job/maxdowntime", true),
    JOB_GET_SPEED("GET", "domains/{domain}/job/speed", false),
    JOB_GET_MAX_DOWNTIME("GET", "domains/{domain}/job/maxdowntime", false),
    SNAPSHOT_LIST("GET", "domains/{domain}/snapshots", false),
    SNAPSHOT_CREATE("POST", "domains/{domain}/snapshots", true),
    SNAPSHOT_XML("GET", "domains/{domain}/snapshots/{snapshot}", false),
    SNAPSHOT_SET_CURRENT("POST", "domains/{domain}/snapshots/{snapshot}", true),
    EVENTS("GET", "events", false),
    SECTIONS("GET", "sections", false),
    VERSION("GET", "version", false),
    COOKIE_TOOL("POST", "cookie/{tool}", false),
    BEGIN("POST", "migration/begin", true),
    PREPARE("POST", "migration/prepare", true),
    PERFORM("POST", "migration/perform", true),
    FINISH("POST", "migration/finish", true),
    CONFIRM("POST", "migration/confirm", true),
    SETTLE("POST", "migration/settle", true),
    /** The source daemon asks where the memory goes: only the destination's own answer is ever used. */
    ENDPOINT("POST", "migration/endpoint", false),
    /** A driver's sign of life every two seconds: it changes no domain, so it is not audited. */
    KEEPALIVE("POST", "migration/keepalive", false),
    FATE("GET", "migration/{id}", false),
    SIDE_STREAM("GET", "migration/{id}/stream/{feature}", false),
    TUNNEL("POST", "migration/{id}/tunnel", true),
    MIGRATE("POST", "migrate", true);

    private static final Pattern PARAMETER = Pattern.compile("\\{([a-z]+)}");

    private final String method;
    private final String template;
    private final boolean changesState;
    private final String[] segments;

    Operation(String method, String template, boolean changesState) {
        this.method = method;
        this.template = template;
        this.changesState = changesState;
        this.segments = template.split("/");
    }

    public String method() {
        return method;
    }

    /** The path under {@code /v1/}, parameters in braces: {@code domains/{domain}/start}. */
    public String template() {
        return template;
    }

    /** Whether the call changes the daemon's state (it is audited, and not run for a client that is gone). */
    public boolean changesState() {
        return changesState;
    }

    /** A lower-case name for logs: {@code snapshot-create}. */
    public String display() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The path under {@code /v1/} with {@code parameters} in order, each encoded as one path segment. */
    public String path(String... parameters) {
        Matcher matcher = PARAMETER.matcher(template);
        StringBuilder path = new StringBuilder();
        int given = 0;
        while (matcher.find()) {
            if (given == parameters.length) {
                throw new IllegalArgumentException(this + " needs " + matcher.group(1));
            }
            matcher.appendReplacement(path, Matcher.quoteReplacement(segment(parameters[given++])));
        }
        matcher.appendTail(path);
        if (given != parameters.length) {
            throw new IllegalArgumentException(this + " takes " + given + " parameters");
        }
        return path.toString();
    }

    /**
     * The parameters of a decoded path that matches this operation's template, in order; null when it does not
     * match. A parameter is one whole, non-empty segment.
     */
    public List<String> match(List<String> pathSegments) {
        if (pathSegments.size() != segments.length) {
            return null;
        }
        List<String> parameters = new ArrayList<>();
        for (int i = 0; i < segments.length; i++) {
            String segment = pathSegments.get(i);
            if (segments[i].startsWith("{")) {
                if (segment.isEmpty()) {
                    return null;
                }
                parameters.add(segment);
            } else if (!segments[i].equals(segment)) {
                return null;
            }
        }
        return parameters;
    }

    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
