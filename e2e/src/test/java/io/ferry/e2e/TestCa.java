package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Certificates of {@code bin/ferry-make-test-ca} for daemons on TLS and their clients: daemons {@code host-*} know
 * each other as peers and {@code client} as their operator; {@code ferry} runs as any of the identities.
 */
final class TestCa {
    private final Path dir;

    private TestCa(Path dir) {
        this.dir = dir;
    }

    /** A new test CA under the tests' work directory, with a certificate for each of {@code names}. */
    static TestCa make(String prefix, String... names) throws Exception {
        Path dir = Files.createDirectories(Installation.WORK.resolve(prefix + "-" + System.nanoTime())).resolve("ca");
        List<String> command = new ArrayList<>(List.of(Installation.HOME.resolve("bin/ferry-make-test-ca").toString(), dir.toString()));
        command.addAll(List.of(names));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(output, process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0);
        return new TestCa(dir);
    }

    /** The flags of a daemon of TLS identity {@code name}, whose operator is {@code client} and peers the {@code host-*}. */
    String[] daemonFlags(String name, String... more) {
        List<String> flags = new ArrayList<>(List.of("--tls-keystore", dir.resolve(name + ".p12").toString(), "--tls-truststore",
                dir.resolve("truststore.p12").toString(), "--tls-password-file", dir.resolve("password").toString(),
                "--tls-allow-operator", "CN=client", "--tls-allow-peer", "CN=host-*"));
        flags.addAll(List.of(more));
        return flags.toArray(String[]::new);
    }

    /** The environment of a {@code ferry} command of TLS identity {@code name}. */
    Map<String, String> client(String name) {
        return Map.of("FERRY_TLS_KEYSTORE", dir.resolve(name + ".p12").toString(), "FERRY_TLS_TRUSTSTORE",
                dir.resolve("truststore.p12").toString(), "FERRY_TLS_PASSWORD_FILE", dir.resolve("password").toString());
    }

    /** {@code ferry -c URL ARGS} of {@code daemon}, as {@code identity}. */
    Installation.Result ferry(String identity, DaemonProcess daemon, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("-c", daemon.url()));
        all.addAll(List.of(args));
        return Installation.ferry(client(identity), all.toArray(String[]::new));
    }

    /** {@code ferry} as the operator, which must succeed. */
    Installation.Result ok(DaemonProcess daemon, String... args) throws Exception {
        Installation.Result result = ferry("client", daemon, args);
        assertEquals(String.join(" ", args) + "\n" + result, 0, result.exit());
        return result;
    }

    /** A field of {@code ferry dominfo}, as the operator: "State:", "Memory digest:"; null if it has none. */
    String field(DaemonProcess daemon, String domain, String label) throws Exception {
        return ok(daemon, "dominfo", domain).out().lines().filter(line -> line.startsWith(label))
                .map(line -> line.substring(label.length()).trim()).findFirst().orElse(null);
    }
}
