package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A qcow2 header's names, read from bytes a peer's host may have written: each malformed header is refused, naming the
 * image and what is wrong, and nothing outside what was read is looked at.
 */
public class Qcow2ReferencesTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    /** A version 3 header of 104 bytes, its extensions from there, then the backing file's name at 512. */
    private static ByteBuffer header() {
        ByteBuffer header = ByteBuffer.allocate(1024);
        header.putInt(0, 0x514649fb).putInt(4, 3).putInt(100, 104);
        return header;
    }

    private Path image(ByteBuffer header) throws Exception {
        return Files.write(tmp.newFile().toPath(), header.array());
    }

    private Qcow2References read(ByteBuffer header) throws Exception {
        return Qcow2References.of(image(header), "the image");
    }

    private void refused(ByteBuffer header, String why) throws Exception {
        Path image = image(header);
        HypervisorException e = assertThrows(HypervisorException.class, () -> Qcow2References.of(image, "the image"));
        assertEquals("the image is not an image QEMU would read as its definition says: " + why, e.getMessage());
    }

    @Test
    public void readsTheBackingFileItsFormatAndTheDataFile() throws Exception {
        assertEquals(new Qcow2References(null, null, null), read(header()));
        ByteBuffer header = header();
        header.putLong(8, 512).putInt(16, 8).put(512, "base.raw".getBytes(StandardCharsets.UTF_8));
        header.putInt(104, 0xe2792aca).putInt(108, 3).put(112, "raw".getBytes(StandardCharsets.UTF_8));
        header.putInt(120, 0x44415441).putInt(124, 9).put(128, "/d/x.data".getBytes(StandardCharsets.UTF_8));
        assertEquals(new Qcow2References("base.raw", "raw", "/d/x.data"), read(header));
    }

    @Test
    public void refusesWhatIsNoQcow2HeaderItCanRead() throws Exception {
        refused(ByteBuffer.allocate(10), "not a qcow2 image");
        refused(header().putInt(0, 0x514649fc), "not a qcow2 image");
        refused(header().putInt(4, 4), "qcow2 version 4");
        refused(header().putLong(8, 1020).putInt(16, 8), "its backing file name lies outside its header");
        refused(header().putLong(8, 512).putInt(16, 1024), "its backing file name lies outside its header");
        refused(header().putLong(8, 512).putInt(16, -1), "its backing file name lies outside its header");
        refused(header().putLong(8, -8).putInt(16, 8), "its backing file name lies outside its header");
        refused(header().putInt(100, 50), "its header length lies outside the header read");
        refused(header().putInt(100, 4096), "its header length lies outside the header read");
        refused(header().putInt(104, 0x44415441).putInt(108, 4096), "a header extension lies outside the header read");
        refused(header().putInt(104, 0x44415441).putInt(108, -8), "a header extension lies outside the header read");
        ByteBuffer endless = header();
        for (int at = 104; at < 1024; at += 8) {
            endless.putInt(at, 0x12345678); // extensions of no length, with no end before the image's
        }
        refused(endless, "its header extensions do not end within its first 1024 bytes");
    }
}
