package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A daemon's token file is its user's alone, even in a token directory a looser umask made before, and a daemon that
 * stops removes its own token but not the one a successor on the same port has published since.
 */
public class OperatorTokensPublishTest {
    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    private final InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 16570);
    private Path tokens;

    @Before
    public void tokenDirectory() {
        tokens = folder.getRoot().toPath().resolve("tokens");
        System.setProperty("ferry.token.dir", tokens.toString());
    }

    @After
    public void clearTokenDirectory() {
        System.clearProperty("ferry.token.dir");
    }

    @Test
    public void aTokenDirectoryOpenToOthersIsClosedWhenATokenIsPublished() throws Exception {
        Files.createDirectories(tokens);
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rwxr-xr-x")); // whatever this umask is

        Path file = OperatorTokens.publish(address, "the-token");

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("the-token\n", Files.readString(file));
    }

    @Test
    public void aStoppingDaemonWithdrawsItsOwnToken() throws Exception {
        Path file = OperatorTokens.publish(address, "the-token");

        OperatorTokens.withdraw(file, "the-token");

        assertFalse(Files.exists(file));
    }

    @Test
    public void aStoppingDaemonLeavesItsSuccessorsToken() throws Exception {
        Path file = OperatorTokens.publish(address, "the-old-token");
        OperatorTokens.publish(address, "the-successors-token");

        OperatorTokens.withdraw(file, "the-old-token");

        assertTrue(Files.exists(file));
        assertEquals("the-successors-token\n", Files.readString(file));
    }
}
