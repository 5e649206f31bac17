package io.ferry.launcher;

import io.ferry.settings.SettingException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code bin/ferryd}: one host's daemon. It checks every setting before it boots the framework, then waits for
 * the control channel; a daemon that cannot start exits 1 with one line on stderr naming the problem (2 for an
 * unknown option). Once up, it runs until the framework stops; SIGTERM or SIGINT stop it gracefully (every
 * bundle's deactivation runs) through a shutdown hook. Everything but those lines is the log, on stdout. Its
 * temporary files go to the state directory's {@code tmp/} ({@link TemporaryDirectory}), never the system's.
 */
public final class Ferryd {
    /** Generous for a loaded machine; a start that fails says so at once and does not wait for this. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** Held until the process ends (a static field: a lock whose channel were collected would be given back). */
    private static List<DirectoryLock> held;

    private Ferryd() {
    }

    public static void main(String[] args) {
        PrintStream stderr = System.err;
        FerryHome home;
        DaemonOptions options;
        try {
            home = FerryHome.fromSystemProperty();
            if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
                System.out.print(DaemonOptions.usage());
                return;
            }
            options = DaemonOptions.parse(List.of(args), home);
            createDirectories(options);
            requireTrusted(home, options);
            held = lockDirectories(options);
            TemporaryDirectory.claim(options.stateDir(), options.runDir());
        } catch (DaemonOptions.UsageException e) {
            exit(stderr, e.getMessage(), 2);
            return;
        } catch (SettingException | IllegalStateException | UncheckedIOException | IOException e) {
            exit(stderr, e.getMessage(), 1);
            return;
        }
        // the framework's and the bundles' own messages (Felix, SCR, SPI Fly) belong to the log, not to stderr
        System.setErr(System.out);
        try {
            EmbeddedFramework framework = EmbeddedFramework.start(home, options, options.stateDir().resolve("felix-cache"), List.of());
            Runtime.getRuntime().addShutdownHook(new Thread(framework::close, "ferryd-shutdown"));
            framework.awaitControlUrl(START_TIMEOUT);
            framework.awaitStop();
        } catch (EmbeddedFramework.StartFailedException e) {
            exit(stderr, e.getMessage(), 1);
        } catch (Exception e) {
            exit(stderr, "cannot start: " + e.getMessage(), 1);
        }
    }

    /**
     * Takes the state and run directories for this process. One directory named two ways ({@code /var/lib/ferry/.}, a
     * link) is taken once: taken twice, it would be refused as held by another ferryd, this one.
     */
    static List<DirectoryLock> lockDirectories(DaemonOptions options) throws IOException {
        DirectoryLock state = DirectoryLock.take(options.stateDir(), "state directory", "--state-dir (stateDir)");
        try {
            return Files.isSameFile(options.runDir(), options.stateDir()) ? List.of(state)
                    : List.of(state, DirectoryLock.take(options.runDir(), "run directory", "--run-dir (runDir)"));
        } catch (IOException | RuntimeException e) {
            state.close();
            throw e;
        }
    }

    /** Where ferryd takes code and settings from, and keeps its state: none another user may write. */
    private static void requireTrusted(FerryHome home, DaemonOptions options) throws IOException {
        TrustedDirectories.checkInstallation("ferryd", home);
        TrustedDirectories.check("ferryd", "deploy directory", options.deployDir(), true);
        TrustedDirectories.check("ferryd", "state directory", options.stateDir(), false);
        TrustedDirectories.check("ferryd", "run directory", options.runDir(), false);
    }

    /**
     * The state, run and deploy directories, those that do not exist yet ({@link PrivateDirectories}). QEMU dropped
     * to its user reaches its VM's directory in the run directory: one on a tmpfs ({@code /run}) is made anew at each
     * boot, so what that user needs of it cannot be an operator's one-time step.
     */
    static void createDirectories(DaemonOptions options) {
        createDirectory("state directory", options.stateDir(), PrivateDirectories.OWNER_ONLY);
        createDirectory("run directory", options.runDir(),
                options.qemuUser() == null ? PrivateDirectories.OWNER_ONLY : PrivateDirectories.ENTERABLE);
        createDirectory("deploy directory", options.deployDir(), PrivateDirectories.OWNER_ONLY);
    }

    private static void createDirectory(String what, Path directory, String permissions) {
        try {
            PrivateDirectories.create(directory, permissions);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the " + what + " " + directory + ": " + e, e);
        }
    }

    /** The one line (whatever the message holds), then the end (the shutdown hook stops a framework that runs). */
    private static void exit(PrintStream stderr, String message, int status) {
        stderr.println("ferryd: " + String.valueOf(message).replaceAll("\\s*\\R\\s*", " "));
        stderr.flush();
        System.exit(status);
    }
}
