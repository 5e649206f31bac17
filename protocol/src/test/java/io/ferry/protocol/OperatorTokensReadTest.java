package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assume.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A client presents, and so sends to whatever listens on the port, only a token file that is this user's own: in a
 * shared token directory ({@code FERRY_TOKEN_DIR}) another user could otherwise plant a link to one of this user's
 * secrets, or a file of their own, and listen on the port for what the client sends.
 */
public class OperatorTokensReadTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void aTokenFileOfThisUsersOwnIsPresented() throws Exception {
        Path file = Files.writeString(folder.getRoot().toPath().resolve("127.0.0.1_16570"), "the-token\n");
        assertEquals(Optional.of("the-token"), OperatorTokens.read(List.of(file)));
    }

    @Test
    public void aLinkPlantedInTheTokenDirectoryIsNotFollowed() throws Exception {
        Path secret = Files.writeString(folder.newFolder("home").toPath().resolve("credentials"), "my-password\n");
        Path planted = Files.createSymbolicLink(folder.getRoot().toPath().resolve("127.0.0.1_16570"), secret);
        assertEquals(Optional.empty(), OperatorTokens.read(List.of(planted)));
    }

    @Test
    public void aFileOfAnotherUserIsNotPresented() throws Exception {
        assumeTrue("only root can give a file to another user", "root".equals(System.getProperty("user.name")));
        Path planted = Files.writeString(folder.getRoot().toPath().resolve("127.0.0.1_16570"), "planted\n");
        UserPrincipal nobody = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(planted, nobody);
        assertEquals(Optional.empty(), OperatorTokens.read(List.of(planted)));
    }
}
