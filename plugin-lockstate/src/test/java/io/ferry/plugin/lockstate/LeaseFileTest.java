package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.io.StringReader;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A lease file on disk: a write cut short never reads as free, and an earlier version's file is still read. */
public class LeaseFileTest {
    private static final String DISK = "/images/disk0.img";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private FileLockManager manager;
    private Path file;
    private final UUID domain = UUID.randomUUID();
    private final LeaseRequest hostA = request("host-a", UUID.randomUUID());
    private final LeaseRequest hostB = request("host-b", UUID.randomUUID());

    @Before
    public void shareADirectory() throws Exception {
        Path directory = folder.newFolder("leases").toPath();
        manager = LeaseDirectory.manager(directory);
        file = directory.resolve(FileLockManager.key(DISK) + ".lease");
    }

    /** A release whose write reached the disk only in part: its first half over the holder's lease. */
    @Test
    public void aReleaseCutShortOverTheHoldersLeaseIsRefused() throws Exception {
        Lease lease = manager.acquire(hostA, null);
        byte[] held = Files.readAllBytes(file);
        lease.release();
        byte[] released = Files.readAllBytes(file);
        byte[] torn = held.clone();
        System.arraycopy(released, 0, torn, 0, released.length / 2);
        Files.write(file, torn);

        assertRefusedAsDamaged(() -> manager.acquire(hostB, null));
    }

    /** What a crash can leave in a file whose length reached the disk before its content. */
    @Test
    public void zerosAreRefused() throws Exception {
        Files.write(file, new byte[300]);

        assertRefusedAsDamaged(() -> manager.acquire(hostB, null));
    }

    @Test
    public void aLeaseWhoseChecksumDoesNotMatchIsRefused() throws Exception {
        Files.writeString(file, "checksum=crc32:00000000\nresource=" + DISK + "\nheld=false\nowner=\nownerUuid=\ndomain=\ngeneration=7\n");

        assertRefusedAsDamaged(() -> manager.acquire(hostB, null));
    }

    /** The holder stops its domain and finds its lease damaged: it is not given back (its holder is unknown). */
    @Test
    public void aDamagedLeaseIsNotGivenBack() throws Exception {
        Lease lease = manager.acquire(hostA, null);
        byte[] held = Files.readAllBytes(file);
        byte[] damaged = held.clone();
        Arrays.fill(damaged, held.length / 2, held.length, (byte) 0);
        Files.write(file, damaged);

        assertRefusedAsDamaged(lease::release);
    }

    /** Hosts share the lease directory across an upgrade: a lease the previous version wrote is honoured. */
    @Test
    public void aLeaseThePreviousVersionWroteIsRead() throws Exception {
        writePreviousVersion(Map.of("resource", DISK, "held", "true", "owner", "host-a", "ownerUuid", hostA.ownerUuid().toString(),
                "domain", "vm", "generation", "3"));

        LockException refused = assertThrows(LockException.class, () -> manager.acquire(hostB, null));
        assertTrue(refused.getMessage(), refused.getMessage().contains(DISK + " is held by host-a"));
        String released = manager.acquire(hostA, FileLockManager.key(DISK) + ":3").release();
        assertEquals(FileLockManager.key(DISK) + ":4", released);
        manager.acquire(hostB, released);
    }

    /** A hand-edited lease saying "yes" is not read as free (Boolean.parseBoolean would): another host would take it. */
    @Test
    public void aHeldFlagOtherThanTrueOrFalseIsRefused() throws Exception {
        writePreviousVersion(Map.of("resource", DISK, "held", "yes", "owner", "host-a", "ownerUuid", hostA.ownerUuid().toString(),
                "domain", "vm", "generation", "3"));

        assertRefusedAsDamaged(() -> manager.acquire(hostB, null));
    }

    /** A free lease of another disk, copied over this one's file, does not free this disk. */
    @Test
    public void theLeaseOfAnotherResourceIsRefused() throws Exception {
        writePreviousVersion(free(DISK + "-other"));

        assertRefusedAsDamaged(() -> manager.acquire(hostB, null));
    }

    /** A lease file larger than any lease is not read, whatever it holds: it is not Ferry's writing. */
    @Test
    public void aFileLargerThanAnyLeaseIsRefused() throws Exception {
        writePreviousVersion(free(DISK));
        Files.writeString(file, "#".repeat(64 * 1024) + "\n", StandardOpenOption.APPEND);

        assertRefusedAsDamaged(() -> manager.acquire(hostB, null));
    }

    private static Map<String, String> free(String resource) {
        return Map.of("resource", resource, "held", "false", "owner", "", "ownerUuid", "", "domain", "", "generation", "3");
    }

    /** A lease as versions before the checksum wrote it: a plain properties file. */
    private void writePreviousVersion(Map<String, String> values) throws IOException {
        Properties previous = new Properties();
        previous.putAll(values);
        StringWriter text = new StringWriter();
        previous.store(text, "Ferry disk lease");
        Files.writeString(file, text.toString(), StandardCharsets.ISO_8859_1);
    }

    /**
     * A free lease is shorter than a held one: written over it, it is padded, not truncated (a file cut short by a
     * crash there would read as free), and no line of the held lease is left to be read.
     */
    @Test
    public void aShorterLeaseOverALongerOneReadsBackExactly() throws Exception {
        Lease lease = manager.acquire(hostA, null);
        long heldLength = Files.size(file);
        String released = lease.release();

        assertTrue("the lease file was truncated", Files.size(file) >= heldLength);
        Properties read = new Properties();
        read.load(new StringReader(Files.readString(file, StandardCharsets.ISO_8859_1)));
        read.remove("checksum");
        assertEquals(Map.of("resource", DISK, "held", "false", "owner", "", "ownerUuid", "", "domain", "", "generation",
                released.substring(released.indexOf(':') + 1)), read);
        manager.acquire(hostB, released);
    }

    @Test
    public void namesOfAnyCharactersReadBackAsWritten() throws Exception {
        String host = " hôst\\a=b:c\n#d";
        manager.acquire(new LeaseRequest("vm ü", domain, List.of(DISK), host, hostA.ownerUuid()), null);

        LockException refused = assertThrows(LockException.class, () -> manager.acquire(hostB, null));
        assertTrue(refused.getMessage(), refused.getMessage().contains(DISK + " is held by " + host + " (" + hostA.ownerUuid()
                + ") for domain vm ü"));
    }

    /**
     * A lease file nobody ever wrote (a holder's acquire is on disk before it returns): free, but with no history, so
     * no state proves anything of it (not even generation 0: a removed file's first generation is anywhere).
     */
    @Test
    public void anEmptyFileIsFree() throws Exception {
        Files.write(file, new byte[0]);

        assertThrows(LockException.class, () -> manager.acquire(hostB, FileLockManager.key(DISK) + ":0"));
        String taken = manager.acquire(hostB, null).state();
        assertTrue(taken, taken.startsWith(FileLockManager.key(DISK) + ":"));
    }

    private interface LeaseCall {
        Object call() throws Exception;
    }

    /** Refused naming the file and the resource, saying what the operator does; the file is left as it was. */
    private void assertRefusedAsDamaged(LeaseCall call) throws Exception {
        byte[] before = Files.readAllBytes(file);
        LockException refused = assertThrows(LockException.class, call::call);
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("lease file " + file + " of resource " + DISK
                + " is damaged ("));
        assertTrue(refused.getMessage(), refused.getMessage().contains("the lease's holder is unknown"));
        assertTrue(refused.getMessage(), refused.getMessage().endsWith("then remove " + file));
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    private LeaseRequest request(String host, UUID hostUuid) {
        return new LeaseRequest("vm", domain, List.of(DISK), host, hostUuid);
    }
}
