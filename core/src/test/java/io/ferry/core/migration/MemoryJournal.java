package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A journal in memory, kept across a test host's restarts; it can be made to fail like a full disk. It lists its
 * migrations in the order they were first recorded, so a restart takes them in hand in a known order.
 */
final class MemoryJournal implements Journal {
    private final Map<String, Entry> entries = Collections.synchronizedMap(new LinkedHashMap<>());
    private final String key = java.util.UUID.randomUUID().toString();
    private final java.util.Set<String> damaged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Recording this step fails (null: none). */
    volatile Step failAt;
    /** The daemon dies right after recording this step (null: it does not). */
    volatile Step crashAfter;
    /** The daemon dies right before recording this step (null: it does not). */
    volatile Step crashBefore;
    /** Runs once, with the id, at the next look-up of a record (null: nothing). */
    volatile java.util.function.Consumer<String> beforeFind;

    @Override
    public String identity(String migrationId) {
        return key + "/" + migrationId;
    }

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

    /** A power cut took the record of {@code id}: written without a sync, it is gone (or empty, which reads as none). */
    void lose(String id) {
        entries.remove(id);
    }

    @Override
    public boolean lost(String id) {
        return !entries.containsKey(id) && !damaged.contains(id);
    }

    /** The record of {@code id} is damaged (a disk's error, an edit): it is there and cannot be read. */
    void damage(String id) {
        damaged.add(id);
        entries.remove(id);
    }

    public boolean damaged(String id) {
        return damaged.contains(id);
    }

    @Override
    public Optional<Entry> find(String id) {
        java.util.function.Consumer<String> hook = beforeFind;
        if (hook != null) {
            beforeFind = null;
            hook.accept(id);
        }
        return Optional.ofNullable(entries.get(id));
    }

    /** Every migration recorded here, finished or not. */
    List<Entry> all() {
        synchronized (entries) {
            return List.copyOf(entries.values());
        }
    }

    /** The one migration recorded here. */
    Entry only() {
        List<Entry> all = all();
        assertEquals(1, all.size());
        return all.get(0);
    }

    @Override
    public List<Entry> unfinished() {
        synchronized (entries) {
            return entries.values().stream().filter(e -> !e.step().isFinal()).toList();
        }
    }
}
