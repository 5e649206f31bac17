package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.GuestState;
import java.util.List;

/**
 * Why QEMU paused a guest by itself, as libvirt tracks it from BLOCK_IO_ERROR and GUEST_PANICKED: QEMU's run state
 * says it ({@code io-error}, {@code guest-panicked}) only until a migration's switch-over makes it
 * {@code finish-migrate}, then {@code postmigrate}; the events QEMU sent since the guest last ran ({@code RESUME}) still
 * say it then, and what was seen last is remembered for when the kept events no longer reach back that far.
 */
final class SelfPause {
    private volatile GuestState.PausedBy remembered;

    /**
     * @param status QEMU's {@code query-status} answer
     * @param events the events QEMU sent, oldest first, read up to that answer
     */
    GuestState.Observed observed(JsonNode status, List<JsonNode> events) {
        boolean running = status.path("running").asBoolean(false);
        GuestState.PausedBy pausedBy = running ? null : switch (status.path("status").asText()) {
            case "io-error" -> GuestState.PausedBy.IO_ERROR;
            case "guest-panicked" -> GuestState.PausedBy.GUEST_PANICKED;
            default -> sinceLastRun(events);
        };
        remembered = pausedBy;
        return new GuestState.Observed(running, pausedBy);
    }

    /** The newest event that paused the guest by itself, unless it ran since; the remembered cause without one. */
    private GuestState.PausedBy sinceLastRun(List<JsonNode> events) {
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
        return remembered;
    }
}
