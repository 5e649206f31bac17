package io.ferry.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The PKCS12 files of one side of a mutual-TLS control channel: a keystore (this side's key and certificate
 * chain), a trust store (the CA that signs the other side) and a file whose first line is the password of
 * both. A client may leave out its keystore (then it presents no certificate and a daemon refuses it) or its
 * trust store (then the JDK's default CAs are trusted).
 */
public record TlsFiles(Path keystore, Path truststore, Path passwordFile) {
    /** System property of the command line naming the keystore. */
    public static final String KEYSTORE_PROPERTY = "ferry.tls.keystore";
    public static final String TRUSTSTORE_PROPERTY = "ferry.tls.truststore";
    public static final String PASSWORD_FILE_PROPERTY = "ferry.tls.password.file";
    /** Environment variables of the client, used when the system property is unset. */
    public static final String KEYSTORE_ENV = "FERRY_TLS_KEYSTORE";
    public static final String TRUSTSTORE_ENV = "FERRY_TLS_TRUSTSTORE";
    public static final String PASSWORD_FILE_ENV = "FERRY_TLS_PASSWORD_FILE";
    /** The only protocol versions either side speaks. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Setting up TLS failed; the message names the file at fault. */
    public static final class TlsException extends Exception {
        private static final long serialVersionUID = 1L;

        public TlsException(String message) {
            super(message);
        }
    }

    /**
     * A client's files: each from its system property, else from its environment variable.
     *
     * @return null when neither a keystore nor a trust store is named
     */
    public static TlsFiles fromEnvironment(UnaryOperator<String> systemProperty, UnaryOperator<String> environment) throws TlsException {
        Path keystore = path(systemProperty.apply(KEYSTORE_PROPERTY), environment.apply(KEYSTORE_ENV));
        Path truststore = path(systemProperty.apply(TRUSTSTORE_PROPERTY), environment.apply(TRUSTSTORE_ENV));
        Path password = path(systemProperty.apply(PASSWORD_FILE_PROPERTY), environment.apply(PASSWORD_FILE_ENV));
        if (keystore == null && truststore == null) {
            return null;
        }
        if (password == null) {
            throw new TlsException(PASSWORD_FILE_ENV + " (or -D" + PASSWORD_FILE_PROPERTY + ") is not set: it names the file "
                    + "holding the password of " + (keystore != null ? keystore : truststore));
        }
        return new TlsFiles(keystore, truststore, password);
    }

    private static Path path(String property, String environment) {
        String value = property != null && !property.isBlank() ? property : environment;
        return value == null || value.isBlank() ? null : Path.of(value.trim()).toAbsolutePath();
    }

    /** Reads the stores and makes the context both client and server sockets come from. */
    public SSLContext load() throws TlsException {
        char[] password = readPassword();
        try {
            KeyManager[] keys = keystore == null ? null : keyManagers(password);
            TrustManager[] trust = truststore == null ? null : trustManagers(password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new TlsException("cannot set up TLS with " + this + ": " + e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private KeyManager[] keyManagers(char[] password) throws TlsException, GeneralSecurityException {
        KeyStore store = read(keystore, "keystore", password);
        List<String> keys = Collections.list(store.aliases()).stream().filter(alias -> isKey(store, alias)).toList();
        if (keys.isEmpty()) {
            throw new TlsException("keystore " + keystore + " holds no private key");
        }
        for (String alias : keys) {
            if (store.getCertificate(alias) instanceof X509Certificate certificate) {
                try {
                    certificate.checkValidity();
                } catch (CertificateExpiredException e) {
                    throw new TlsException("the certificate in keystore " + keystore + " expired on " + certificate.getNotAfter());
                } catch (CertificateNotYetValidException e) {
                    throw new TlsException("the certificate in keystore " + keystore + " is not valid before " + certificate.getNotBefore());
                }
            }
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        try {
            factory.init(store, password);
        } catch (GeneralSecurityException e) {
            throw new TlsException("cannot read the key in keystore " + keystore + ": " + e.getMessage());
        }
        return factory.getKeyManagers();
    }

    private TrustManager[] trustManagers(char[] password) throws TlsException, GeneralSecurityException {
        KeyStore store = read(truststore, "trust store", password);
        if (Collections.list(store.aliases()).stream().noneMatch(alias -> isCertificate(store, alias))) {
            throw new TlsException("trust store " + truststore + " holds no trusted certificate");
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        return factory.getTrustManagers();
    }

    private static KeyStore read(Path file, String what, char[] password) throws TlsException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsException("cannot read " + what + " " + file + " (PKCS12): " + reason(e));
        }
    }

    /**
     * The password, read as every secret of this user's is ({@link OwnFiles#readSecret}): a password file its group or
     * others may read gives away the key the keystore holds to any local user who can read the keystore.
     */
    private char[] readPassword() throws TlsException {
        try {
            return OwnFiles.readSecret(passwordFile).toCharArray();
        } catch (IOException e) {
            throw new TlsException("cannot read password file " + passwordFile + ": " + reason(e));
        }
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static boolean isKey(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean isCertificate(KeyStore store, String alias) {
        try {
            return store.isCertificateEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "keystore " + keystore + ", trust store " + truststore + ", password file " + passwordFile;
    }
}
