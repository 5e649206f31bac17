package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A journal in memory, kept across a test host's restarts; it can be made to fail like a full disk. */
final class MemoryJournal implements Journal {
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Recording this step fails (null: none). */
    volatile Step failAt;
    /** The daemon dies right after recording this step (null: it does not). */
    volatile Step crashAfter;
    /** The daemon dies right before recording this step (null: it does not). */
    volatile Step crashBefore;

    @Override
    public void record(Entry entry) throws java.io.IOException {
        if (entry.step() == crashBefore) {
            crashBefore = null;
            throw new Crash();
        }
        if (entry.step() == failAt) {
            throw new java.io.IOException("No space left on device");
        }
        entries.put(entry.id(), entry);
        if (entry.step() == crashAfter) {
            crashAfter = null;
            throw new Crash();
        }
    }

    @Override
    public Optional<Entry> find(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** Every migration recorded here, finished or not. */
    List<Entry> all() {
        return List.copyOf(entries.values());
    }

    /** The one migration recorded here. */
    Entry only() {
        assertEquals(1, entries.size());
        return entries.values().iterator().next();
    }

    @Override
    public List<Entry> unfinished() {
        return entries.values().stream().filter(e -> !e.step().isFinal()).toList();
    }
}
