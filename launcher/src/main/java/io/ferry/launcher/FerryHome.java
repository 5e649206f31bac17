package io.ferry.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

/** The layout of an installation: {@code bin/ lib/ bundle/ deploy/ etc/ var/}. */
public record FerryHome(Path root) {
    /** System property that the launch scripts set to the installation's root. */
    public static final String PROPERTY = "ferry.home";

    public static FerryHome fromSystemProperty() {
        String home = System.getProperty(PROPERTY);
        if (home == null || home.isBlank()) {
            throw new IllegalStateException("system property " + PROPERTY + " is not set (start Ferry through bin/ferryd or bin/ferry)");
        }
        Path root = Path.of(home).toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("bundle"))) {
            throw new IllegalStateException(root + " is not a Ferry installation: it has no bundle/ directory");
        }
        return new FerryHome(root);
    }

    public Path bundles() {
        return root.resolve("bundle");
    }

    public Path deploy() {
        return root.resolve("deploy");
    }

    public Path etc() {
        return root.resolve("etc");
    }

    public Path defaultStateDir() {
        return root.resolve("var");
    }
}
