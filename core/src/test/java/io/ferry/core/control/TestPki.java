package io.ferry.core.control;

import io.ferry.core.TestDirectories;
import io.ferry.protocol.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/** A throw-away CA in a directory, made with the JDK's keytool (what bin/ferry-make-test-ca does, with chosen SANs). */
public final class TestPki {
    private static final String KEYTOOL = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    final Path dir;
    final Path password;
    final Path truststore;
    private final Path caStore;
    private final Path caCert;

    /** @param password of every store, so that tests can mix the files of two CAs */
    public TestPki(Path dir, String password) throws IOException, InterruptedException {
        this.dir = dir;
        this.password = Files.writeString(dir.resolve("password"), password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(this.password, PosixFilePermissions.fromString("rw-------"));
        this.caStore = dir.resolve("ca.p12");
        this.caCert = dir.resolve("ca.crt");
        this.truststore = dir.resolve("truststore.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=test CA " + dir.getFileName(),
                "-ext", "bc:c", "-startdate", "-1d", "-validity", "2", "-keystore", caStore.toString());
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-file", caCert.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore", truststore.toString());
    }

    /** A keystore with a key and a certificate the CA signed for these subject alternative names ({@code ip:127.0.0.1}). */
    public Path issue(String name, String san) throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        Path request = dir.resolve(name + ".csr");
        Path reply = dir.resolve(name + ".crt");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-keystore", store.toString());
        keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", request.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", caStore.toString(), "-infile", request.toString(), "-outfile", reply.toString(),
                "-rfc", "-startdate", "-1d", "-validity", "2", "-ext", "san=" + san, "-ext", "ExtendedKeyUsage=serverAuth,clientAuth");
        Files.writeString(reply, Files.readString(reply) + Files.readString(caCert));
        keytool("-importcert", "-noprompt", "-alias", name, "-file", reply.toString(), "-keystore", store.toString());
        return store;
    }

    public TlsFiles files(Path keystore) {
        return new TlsFiles(keystore, truststore, password);
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(KEYTOOL));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass:file", password.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed:\n" + output);
        }
    }

    /** One daemon's identity on loopback: host-a's certificate for 127.0.0.1, from a new CA in a new directory. */
    public static SSLContext loopbackIdentity(String directory) throws Exception {
        TestPki pki = new TestPki(TestDirectories.create(directory), "secret");
        return pki.files(pki.issue("host-a", "ip:127.0.0.1")).load();
    }

    /** A peer daemon's TLS channel as a test plays it: a server socket on loopback (any port, a backlog of one). */
    public static SSLServerSocket listen(SSLContext tls) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        return (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 1, loopback);
    }

    /** A peer that stopped reading: accepts one TLS connection on {@code server}, completes the handshake, and reads nothing. */
    public static CompletableFuture<Socket> acceptAndNeverRead(ServerSocket server) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                SSLSocket socket = (SSLSocket) server.accept();
                socket.startHandshake();
                return socket;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
