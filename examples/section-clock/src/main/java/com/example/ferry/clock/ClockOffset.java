package com.example.ferry.clock;

/**
 * The guest's clock as libvirt's {@code <clock>} defines it, and the source host's time when it was sent.
 *
 * @param offset {@code utc}, {@code localtime}, {@code timezone} or {@code variable}
 * @param adjustmentSeconds the guest clock's distance from the host's ({@code variable} only), in seconds
 * @param sentMillis the source host's clock when the guest paused, in milliseconds since the epoch
 */
public record ClockOffset(String offset, long adjustmentSeconds, long sentMillis) {
}
