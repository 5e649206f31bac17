package io.ferry.core.migration;

import io.ferry.core.daemon.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key a journal speaks for its migrations with ({@link Journal#identity}): nobody without it can make the journal's
 * word for a migration it was not told of, so a source tells its destination's "unknown" from another daemon's.
 */
final class JournalKey {
    private static final Logger LOG = LoggerFactory.getLogger(FileJournal.class);
    private static final String MAC = "HmacSHA256";
    private static final int KEY_BYTES = 32;

    private final SecretKeySpec spec;

    private JournalKey(byte[] key) {
        this.spec = new SecretKeySpec(key, MAC);
    }

    /** The key kept in {@code file}, made (and written) if there is none or it cannot be read. */
    static JournalKey load(Path file) throws IOException {
        return new JournalKey(read(file));
    }

    /**
     * The key of the journal's identity, made once: written durably, as the commit points it speaks for are. One that
     * cannot be read is made afresh: the sources of the migrations it recorded then keep their guests paused (they
     * cannot tell this journal from another) rather than resume them on its "unknown".
     */
    private static byte[] read(Path file) throws IOException {
        try {
            byte[] key = HexFormat.of().parseHex(Files.readString(file, StandardCharsets.US_ASCII).strip());
            if (key.length == KEY_BYTES) {
                return key;
            }
            LOG.error("the migration journal's key {} has {} bytes, not {}: made afresh; sources of the migrations it recorded"
                    + " keep their guests paused until their operators resume them", file, key.length, KEY_BYTES);
        } catch (NoSuchFileException e) {
            // a new journal
        } catch (IOException | IllegalArgumentException e) {
            LOG.error("the migration journal's key {} is unreadable ({}): made afresh; sources of the migrations it recorded"
                    + " keep their guests paused until their operators resume them", file, e.getMessage());
        }
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        AtomicFiles.write(file, (HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII));
        return key;
    }

    /** The journal's word for a migration: the MAC of its id under the key. */
    String identity(String migrationId) {
        try {
            Mac mac = Mac.getInstance(MAC);
            mac.init(spec);
            return HexFormat.of().formatHex(mac.doFinal(migrationId.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + MAC, e);
        }
    }
}
