package io.ferry.core.control;

import io.ferry.protocol.Operation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The control channel's routing table: method and path pattern ({@link Operation}) to handler and who may call it.
 * Operations are tried in their declared order, so a literal path ({@code migration/begin}) wins over a pattern
 * ({@code migration/{id}}).
 */
final class RouteTable {
    private final Map<Operation, Route> routes = new EnumMap<>(Operation.class);

    /** A route and the decoded path parameters of a request. */
    record Match(Route route, List<String> parameters) {
    }

    RouteTable add(Route route) {
        if (routes.putIfAbsent(route.operation(), route) != null) {
            throw new IllegalStateException("two routes for " + route.operation());
        }
        return this;
    }

    Route route(Operation operation) {
        return routes.get(operation);
    }

    /**
     * @param segments the path under {@code /v1/}, decoded, split at '/'
     * @throws BadRequest 404 for a path no operation has, 405 for a method the path does not take
     */
    Match find(String method, List<String> segments) throws BadRequest {
        List<String> methods = new ArrayList<>();
        for (Route route : routes.values()) {
            List<String> parameters = route.operation().match(segments);
            if (parameters != null) {
                if (route.operation().method().equals(method)) {
                    return new Match(route, parameters);
                }
                methods.add(route.operation().method());
            }
        }
        String path = "/v1/" + String.join("/", segments);
        if (!methods.isEmpty()) {
            throw new BadRequest(405, "use " + String.join(" or ", methods) + " " + path);
        }
        throw new BadRequest(404, "no such resource: " + path);
    }
}
