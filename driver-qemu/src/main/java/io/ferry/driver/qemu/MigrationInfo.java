package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.MigrationStats;

/**
 * QEMU's {@code query-migrate} answer, and its figures in libvirt's job-info terms. Its status is logged and may become
 * an arrival's failure reason: QEMU's word, kept to one line ({@link UntrustedText}).
 */
record MigrationInfo(String status, JsonNode raw) {
    static MigrationInfo of(JsonNode reply) {
        return new MigrationInfo(UntrustedText.of(reply.path("status").asText("none")), reply);
    }

    boolean isDone() {
        return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
    }

    /** Bytes QEMU has sent so far, resent pages included. */
    long transferred() {
        return raw.path("ram").path("transferred").asLong(0);
    }

    /** Completed pre-copy passes: QEMU's dirty bitmap syncs, less the one at setup. */
    long passes() {
        return Math.max(0, raw.path("ram").path("dirty-sync-count").asLong(0) - 1);
    }

    String error() {
        return UntrustedText.of(raw.path("error-desc").asText("QEMU gave no reason"));
    }

    MigrationStats stats(long fallbackElapsedMillis, long memoryBytes) {
        JsonNode ram = raw.path("ram");
        return new MigrationStats(raw.path("total-time").asLong(fallbackElapsedMillis),
                ram.path("total").asLong(memoryBytes), ram.path("transferred").asLong(0),
                ram.path("remaining").asLong(0), (long) (ram.path("mbps").asDouble(0) * 1_000_000 / 8),
                ram.path("dirty-pages-rate").asLong(0), ram.path("dirty-sync-count").asLong(0),
                raw.path("downtime").asLong(0), raw.path("setup-time").asLong(0), ram.path("page-size").asLong(4096),
                false);
    }
}
