package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.host.HostSettings;
import io.ferry.plugin.lockstate.FileLockManager;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The host UUID ({@code STATE/host-uuid}) names the holder of every disk lease the host holds: a daemon that made
 * one anew would find its running guests' leases held by another host, and pause them for good.
 */
public class HostUuidTest {
    private static final String VM = "<domain type='sim'><name>web</name><uuid>00000000-0000-4000-8000-0000000000b1</uuid>"
            + "<memory unit='MiB'>16</memory><devices><disk type='file'><source file='/images/web.img'/></disk></devices></domain>";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private TestHost host;
    private Path hostUuid;

    @Before
    public void runningGuestHoldingAFileLease() throws Exception {
        Path leases = folder.newFolder("leases").toPath();
        host = new TestHost(folder.newFolder("state").toPath());
        host.lockManager = fileLockManager(leases);
        host.hostUuidOfTheStateDirectory = true;
        host.restart();
        host.manager.define(VM);
        host.manager.start("web");
        hostUuid = host.file("host-uuid");
    }

    /**
     * Deleted by an operator cleaning up, it was made anew: the restarted daemon's guest was refused its own leases
     * ("held by HOST (OLD-UUID)"), paused and its leases marked lost, for good.
     */
    @Test
    public void aHostUuidDeletedFromAStateDirectoryInUseIsNotMadeAnew() throws Exception {
        String uuid = Files.readString(hostUuid);
        Files.delete(hostUuid);

        IOException refused = assertThrows(IOException.class, host::restart);
        assertEquals(hostUuid + " is missing, but the state directory is in use (" + host.file("domains", "web.xml")
                + "): the disk leases this host holds name its UUID, and one made anew would have its guests refused them;"
                + " write the host's UUID into it (the ownerUuid of a lease file this host holds, or its ZooKeeper holders,"
                + " name it) or give it with --host-uuid (hostUuid)", refused.getMessage());

        Files.writeString(hostUuid, uuid);
        host.restart();
        assertEquals(DomainState.RUNNING, host.manager.get("web").state());
    }

    /** One a disk emptied refuses the start as before, and says what to do. */
    @Test
    public void anEmptiedHostUuidIsNotMadeAnew() throws Exception {
        Files.write(hostUuid, new byte[37]);
        IOException refused = assertThrows(IOException.class, host::restart);
        assertTrue(refused.getMessage(), refused.getMessage().startsWith(hostUuid + " holds '', which is not a UUID: the"
                + " disk leases this host holds name its UUID"));
    }

    /** The file lock manager on a lease directory named by its absolute path, which the host resolves to itself. */
    private static FileLockManager fileLockManager(Path leases) throws IOException {
        HostSettings settings = (HostSettings) Proxy.newProxyInstance(HostSettings.class.getClassLoader(),
                new Class<?>[] {HostSettings.class}, (instance, method, args) -> Path.of((String) args[0]));
        FileLockManager.Config config = (FileLockManager.Config) Proxy.newProxyInstance(FileLockManager.Config.class.getClassLoader(),
                new Class<?>[] {FileLockManager.Config.class}, (instance, method, args) -> leases.toString());
        return new FileLockManager(settings, config);
    }
}
