package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Why QEMU paused a guest by itself, as libvirt tracks it from BLOCK_IO_ERROR and GUEST_PANICKED: QEMU's run state
 * says it ({@code io-error}, {@code guest-panicked}) only until a migration's switch-over makes it
 * {@code finish-migrate}, then {@code postmigrate}; the events QEMU sent since the guest last ran ({@code RESUME}) still
 * say it then, and what was seen last is remembered for when the kept events no longer reach back that far. A daemon
 * restarted since has neither: then the disks' I/O status tells ({@code query-block}'s {@code io-status}, which QEMU
 * sets on an error whose policy stops the guest and resets only at {@code cont}), as libvirt, restarted, shows
 * {@code paused (I/O error)} from the status it saved. A panic's pause leaves no such trace.
 */
final class SelfPause {
    private volatile GuestState.PausedBy remembered;

    /**
     * @param status QEMU's {@code query-status} answer
     * @param events the events QEMU sent, oldest first, read up to that answer
     * @param diskFailed whether a disk's I/O status says an error stopped the guest: asked only when neither tells
     */
    GuestState.Observed observed(JsonNode status, List<JsonNode> events, BooleanSupplier diskFailed) {
        boolean running = status.path("running").asBoolean(false);
        GuestState.PausedBy pausedBy = running ? null : switch (status.path("status").asText()) {
            case "io-error" -> GuestState.PausedBy.IO_ERROR;
            case "guest-panicked" -> GuestState.PausedBy.GUEST_PANICKED;
            case "postmigrate" -> sinceLastRun(events, diskFailed);
            default -> sinceLastRun(events, () -> false);
        };
        remembered = pausedBy;
        return new GuestState.Observed(running, pausedBy);
    }

    /**
     * The newest event that paused the guest by itself, unless it ran since; without one the remembered cause, else
     * the disks' word.
     */
    private GuestState.PausedBy sinceLastRun(List<JsonNode> events, BooleanSupplier diskFailed) {
        for (int i = events.size() - 1; i >= 0; i--) {
            JsonNode event = events.get(i);
            String action = event.path("data").path("action").asText();
            switch (event.path("event").asText()) {
                case "RESUME":
                    return null;
                case "BLOCK_IO_ERROR":
                    if (action.equals("stop")) {
                        return GuestState.PausedBy.IO_ERROR;
                    }
                    break;
                case "GUEST_PANICKED":
                    if (action.equals("pause")) {
                        return GuestState.PausedBy.GUEST_PANICKED;
                    }
                    break;
                default:
                    break;
            }
        }
        return remembered != null ? remembered : diskFailed.getAsBoolean() ? GuestState.PausedBy.IO_ERROR : null;
    }

    /** Whether a disk's I/O status ({@code query-block}) says an error stopped the guest; false if QEMU does not say. */
    static boolean aDiskFailed(Qmp qmp, long timeoutMillis) {
        try {
            for (JsonNode disk : qmp.execute("query-block", null, timeoutMillis)) {
                String ioStatus = disk.path("io-status").asText();
                if (ioStatus.equals("failed") || ioStatus.equals("nospace")) {
                    return true;
                }
            }
        } catch (HypervisorException e) {
            // no answer: the guest shows its record's reason
        }
        return false;
    }
}
