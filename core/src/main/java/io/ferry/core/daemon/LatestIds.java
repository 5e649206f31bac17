package io.ferry.core.daemon;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The latest migration ids that ended one way or another (their staging discarded, their side streams forgotten, their
 * Begin withdrawn), for what comes after the end to be refused: a section call that outlived its time limit, a Begin
 * still on its way. Ids are never reused, so only the latest {@code kept} are remembered, the oldest going first.
 * Thread-safe.
 */
public final class LatestIds {
    private final Map<String, Boolean> ids;

    public LatestIds(int kept) {
        ids = new LinkedHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > kept;
            }
        };
    }

    public synchronized void add(String id) {
        ids.put(id, Boolean.TRUE);
    }

    public synchronized boolean contains(String id) {
        return ids.containsKey(id);
    }
}
