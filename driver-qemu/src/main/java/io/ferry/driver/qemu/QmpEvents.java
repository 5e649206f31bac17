package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The events a QMP connection's holder read, the last {@code capacity} of them. Guarded by its own monitor, not by
 * the connection: looking at them does not wait for a holder that waits for a hung QEMU.
 */
final class QmpEvents {
    private final int capacity;
    private final Deque<JsonNode> kept = new ArrayDeque<>();

    QmpEvents(int capacity) {
        this.capacity = capacity;
    }

    synchronized void keep(JsonNode event) {
        kept.addLast(event);
        if (kept.size() > capacity) {
            kept.removeFirst();
        }
    }

    /** The first kept event that {@code matches}, removed; null if none does. */
    synchronized JsonNode take(Predicate<JsonNode> matches) {
        for (Iterator<JsonNode> it = kept.iterator(); it.hasNext();) {
            JsonNode event = it.next();
            if (matches.test(event)) {
                it.remove();
                return event;
            }
        }
        return null;
    }

    /** Oldest first, none removed. */
    synchronized List<JsonNode> list() {
        return new ArrayList<>(kept);
    }
}
