package io.ferry.core.builtin;

import io.ferry.api.cookie.MigrationJob;
import io.ferry.api.hypervisor.MigrationStats;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A completed migration job's statistics as libvirt's cookie carries them: the fields present, each an
 * integer, in libvirt's element order.
 */
public record JobStatistics(Map<String, Long> fields) {
    /** libvirt's {@code <statistics>} children, in the order it writes them. */
    public static final List<String> FIELDS = List.of("started", "stopped", "sent", "delta", "time_elapsed",
            "downtime", "setup_time", "memory_total", "memory_processed", "memory_remaining", "memory_bps",
            "memory_constant", "memory_normal", "memory_normal_bytes", "memory_dirty_rate", "memory_iteration",
            "memory_postcopy_requests", "memory_page_size", "disk_total", "disk_processed", "disk_remaining",
            "disk_bps", "compression_cache", "compression_bytes", "compression_pages", "compression_cache_misses",
            "compression_overflow", "auto_converge_throttle");

    public JobStatistics {
        Map<String, Long> ordered = new LinkedHashMap<>();
        for (String field : FIELDS) {
            Long value = fields.get(field);
            if (value != null) {
                ordered.put(field, value);
            }
        }
        fields = java.util.Collections.unmodifiableMap(ordered);
    }

    /** A job's figures as libvirt reports a completed job, {@code now} being when it stopped and was sent. */
    public static JobStatistics of(MigrationJob job, long now) {
        MigrationStats s = job.stats();
        Map<String, Long> fields = new HashMap<>();
        fields.put("started", job.startedMillis());
        fields.put("stopped", now);
        fields.put("sent", now);
        fields.put("time_elapsed", s.elapsedMillis());
        fields.put("downtime", s.downtimeMillis());
        fields.put("setup_time", s.setupMillis());
        fields.put("memory_total", s.total());
        fields.put("memory_processed", s.processed());
        fields.put("memory_remaining", s.remaining());
        fields.put("memory_bps", s.bandwidth());
        fields.put("memory_dirty_rate", s.dirtyRate());
        fields.put("memory_iteration", s.iteration());
        fields.put("memory_page_size", s.pageSize());
        return new JobStatistics(fields);
    }

    public long get(String field) {
        return fields.getOrDefault(field, 0L);
    }
}
