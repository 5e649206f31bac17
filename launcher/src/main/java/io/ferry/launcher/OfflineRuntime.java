package io.ferry.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private, short-lived framework of the installation for the CLI's offline commands: the same bundles as a
 * daemon (bundle/ and deploy/), a control channel on an ephemeral loopback port, and throw-away state.
 */
public final class OfflineRuntime implements AutoCloseable {
    /** SPI Fly reports through java.util.logging; a command's stderr is for errors only. Strong reference: JUL keeps weak ones. */
    private static final java.util.logging.Logger SPI_FLY = java.util.logging.Logger.getLogger("org.apache.aries.spifly");
    private final EmbeddedFramework framework;
    private final Path scratch;
    private final String controlUrl;

    private OfflineRuntime(EmbeddedFramework framework, Path scratch, String controlUrl) {
        this.framework = framework;
        this.scratch = scratch;
        this.controlUrl = controlUrl;
    }

    public static OfflineRuntime start(FerryHome home) throws Exception {
        SPI_FLY.setLevel(java.util.logging.Level.WARNING);
        Path scratch = Files.createTempDirectory("ferry-offline-");
        Path noDeploy = Files.createDirectories(scratch.resolve("deploy"));
        EmbeddedFramework framework = null;
        try {
            // as ferryd would be started; its loopback channel stays plain whatever etc/ says about TLS
            DaemonOptions options = DaemonOptions.parse(List.of("--listen", "127.0.0.1:0", "--state-dir",
                    scratch.resolve("state").toString(), "--deploy-dir", noDeploy.toString(), "--tls-keystore", "",
                    "--tls-truststore", "", "--tls-password-file", ""), home);
            // deploy/ jars are installed directly: FileInstall would only pick them up after its stability polls
            framework = EmbeddedFramework.start(home, options, scratch.resolve("felix-cache"), deployed(home.deploy()));
            return new OfflineRuntime(framework, scratch, framework.awaitControlUrl(Duration.ofSeconds(20)));
        } catch (Exception e) {
            if (framework != null) {
                framework.close();
            }
            delete(scratch);
            throw e;
        }
    }

    public String controlUrl() {
        return controlUrl;
    }

    @Override
    public void close() {
        framework.close();
        delete(scratch);
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

    private static void delete(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
