package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A secret is read only from a regular file of this user's own that its group and others can neither read nor write. */
public class OwnFilesTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void theFirstLineOfAPrivateFileIsTheSecret() throws Exception {
        assertEquals("ferry:s3cret pass", OwnFiles.readSecret(secret("ferry:s3cret pass\nignored\n", "rw-------")));
    }

    @Test
    public void aFileOthersCanReadIsRefusedNamingIt() throws Exception {
        Path file = secret("ferry:s3cret\n", "rw-r--r--");
        IOException e = assertThrows(IOException.class, () -> OwnFiles.readSecret(file));
        assertEquals(file + " holds a secret but is open to its group or others (rw-r--r--): chmod 600 " + file, e.getMessage());
    }

    @Test
    public void aFileItsGroupCanReadIsRefused() throws Exception {
        Path file = secret("ferry:s3cret\n", "rw-r-----");
        assertThrows(IOException.class, () -> OwnFiles.readSecret(file));
    }

    @Test
    public void aLinkIsRefusedEvenToAPrivateFile() throws Exception {
        Path link = Files.createSymbolicLink(folder.getRoot().toPath().resolve("link"), secret("ferry:s3cret\n", "rw-------"));
        IOException e = assertThrows(IOException.class, () -> OwnFiles.readSecret(link));
        assertEquals(link + " is a symbolic link: name the file itself", e.getMessage());
    }

    @Test
    public void aDirectoryOrAnEmptyFileIsRefused() throws Exception {
        Path directory = folder.newFolder("dir").toPath();
        assertEquals(directory + " is not a regular file",
                assertThrows(IOException.class, () -> OwnFiles.readSecret(directory)).getMessage());
        Path empty = secret("\n", "rw-------");
        assertEquals(empty + " is empty: its first line must hold the secret",
                assertThrows(IOException.class, () -> OwnFiles.readSecret(empty)).getMessage());
    }

    /** Not read whole into memory: a secret's file holds a line, not a disk image someone named by mistake. */
    @Test
    public void aFileLargerThanASecretIsRefused() throws Exception {
        Path large = secret("x".repeat(64 * 1024 + 1), "rw-------");
        assertEquals(large + " holds more than 65536 bytes: not a secret's file",
                assertThrows(IOException.class, () -> OwnFiles.readSecret(large)).getMessage());
    }

    private Path secret(String content, String permissions) throws IOException {
        Path file = Files.createTempFile(folder.getRoot().toPath(), "secret", "");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }
}
