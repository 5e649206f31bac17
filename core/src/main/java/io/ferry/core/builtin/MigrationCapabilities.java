package io.ferry.core.builtin;

import java.util.List;

/** The migration capabilities a host supports, and which of them it turns on by itself. */
public record MigrationCapabilities(List<Capability> capabilities) {
    public static final MigrationCapabilities NONE = new MigrationCapabilities(List.of());

    public MigrationCapabilities {
        capabilities = List.copyOf(capabilities);
    }

    /** One {@code <cap name='…' auto='yes|no'/>}. */
    public record Capability(String name, boolean automatic) {
    }
}
