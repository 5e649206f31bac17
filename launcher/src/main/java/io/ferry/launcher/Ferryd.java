package io.ferry.launcher;

import java.nio.file.Files;
import java.util.List;

/**
 * {@code bin/ferryd}: one host's daemon. Runs until the framework stops; SIGTERM or SIGINT stop it
 * gracefully (every bundle's deactivation runs) through a shutdown hook.
 */
public final class Ferryd {
    private Ferryd() {
    }

    public static void main(String[] args) {
        FerryHome home;
        DaemonOptions options;
        try {
            home = FerryHome.fromSystemProperty();
            if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
                System.out.print(DaemonOptions.USAGE);
                return;
            }
            options = DaemonOptions.parse(List.of(args), home);
            Files.createDirectories(options.stateDir());
            Files.createDirectories(options.deployDir());
        } catch (Exception e) {
            System.err.println("ferryd: " + e.getMessage());
            System.err.print(DaemonOptions.USAGE);
            System.exit(2);
            return;
        }
        try {
            EmbeddedFramework framework = EmbeddedFramework.start(home, options.properties(),
                    options.stateDir().resolve("felix-cache"), List.of());
            Runtime.getRuntime().addShutdownHook(new Thread(framework::close, "ferryd-shutdown"));
            framework.awaitStop();
        } catch (Exception e) {
            System.err.println("ferryd: cannot start: " + e.getMessage());
            System.exit(1);
        }
    }
}
