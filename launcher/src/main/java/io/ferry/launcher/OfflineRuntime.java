package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private, short-lived framework of the installation for the CLI's offline commands: the same bundles as a
 * daemon (bundle/ and deploy/), a control channel on an ephemeral loopback port, and throw-away state (a
 * {@link ScratchDirectory}).
 */
public final class OfflineRuntime implements AutoCloseable {
    /** SPI Fly reports through java.util.logging; a command's stderr is for errors only. Strong reference: JUL keeps weak ones. */
    private static final java.util.logging.Logger SPI_FLY = java.util.logging.Logger.getLogger("org.apache.aries.spifly");
    private final EmbeddedFramework framework;
    private final ScratchDirectory scratch;
    private final String controlUrl;

    private OfflineRuntime(EmbeddedFramework framework, ScratchDirectory scratch, String controlUrl) {
        this.framework = framework;
        this.scratch = scratch;
        this.controlUrl = controlUrl;
    }

    public static OfflineRuntime start(FerryHome home) throws Exception {
        requireTrusted(home);
        SPI_FLY.setLevel(java.util.logging.Level.WARNING);
        ScratchDirectory scratch = ScratchDirectory.create("ferry-offline-");
        Path noDeploy = Files.createDirectories(scratch.path().resolve("deploy"));
        EmbeddedFramework framework = null;
        try {
            // as ferryd would be started; its loopback channel stays plain whatever etc/ says about TLS
            DaemonOptions options = DaemonOptions.parse(List.of("--listen", "127.0.0.1:0", "--state-dir",
                    scratch.path().resolve("state").toString(), "--deploy-dir", noDeploy.toString(), "--tls-keystore", "",
                    "--tls-truststore", "", "--tls-password-file", ""), home);
            // deploy/ jars are installed directly: FileInstall would only pick them up after its stability polls
            framework = EmbeddedFramework.start(home, options, scratch.path().resolve("felix-cache"), deployed(home.deploy()));
            return new OfflineRuntime(framework, scratch, framework.awaitControlUrl(Duration.ofSeconds(20)));
        } catch (Exception e) {
            if (framework != null) {
                framework.close();
            }
            scratch.close();
            throw e;
        }
    }

    /**
     * What the framework will run, as ferryd requires before its own: the offline runtime runs it as whoever runs
     * {@code ferry}, root with sudo. The deploy directory is the installation's, and ferry does not make it.
     */
    static void requireTrusted(FerryHome home) throws IOException {
        TrustedDirectories.checkInstallation("ferry", home);
        if (Files.isDirectory(home.deploy())) {
            TrustedDirectories.check("ferry", "deploy directory", home.deploy(), true);
        }
    }

    public String controlUrl() {
        return controlUrl;
    }

    @Override
    public void close() {
        framework.close();
        scratch.close();
    }

    private static List<Path> deployed(Path deploy) throws IOException {
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(deploy)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(deploy, "*.jar")) {
                files.forEach(jars::add);
            }
        }
        return jars;
    }
}
