package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The names a qcow2 image's header gives, as QEMU opens them: a backing file relative to the image's own name, a data
 * file as written (a relative one from QEMU's working directory); each handed to the caller's rule, or refused.
 */
public class Qcow2ChainTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    /** What the rule was asked: each file's name as QEMU opens it, and whether it is written. */
    private final List<String> asked = new ArrayList<>();
    private final Qcow2Chain chain = new Qcow2Chain((named, file, written) -> {
        asked.add(file + (written ? " written" : " read"));
        return Path.of(file);
    }, "a test's image");

    /** A version 3 image naming {@code dataFile} as its data file (an extension), nothing else. */
    private Path image(String dataFile) throws Exception {
        byte[] name = dataFile.getBytes(StandardCharsets.UTF_8);
        ByteBuffer header = ByteBuffer.allocate(1024);
        header.putInt(0, 0x514649fb).putInt(4, 3).putInt(100, 104);
        header.putInt(104, 0x44415441).putInt(108, name.length).put(112, name);
        return Files.write(tmp.getRoot().toPath().resolve("vm.qcow2"), header.array());
    }

    private void require(Path image) throws HypervisorException {
        chain.require("the image", image.toString(), image, true);
    }

    @Test
    public void anAbsoluteDataFileIsHeldToTheRuleAsTheImage() throws Exception {
        require(image("/nfs/vm/vm.raw"));
        assertEquals(List.of("/nfs/vm/vm.raw written"), asked);
    }

    /**
     * QEMU 10 opens {@code etc/crontab}, an image's data file, from its own working directory (ferryd's: / under
     * systemd), not beside the image: the rule was asked about the file beside it, and QEMU opened /etc/crontab.
     */
    @Test
    public void aRelativeDataFileIsRefusedForWhatQemuWouldOpenIsNotBesideTheImage() throws Exception {
        for (String relative : List.of("etc/crontab", "./vm.raw", "../vm/vm.raw", "vm.raw")) {
            Path image = image(relative);
            HypervisorException e = assertThrows(HypervisorException.class, () -> require(image));
            assertEquals("data file '" + relative + "' of the image is not an absolute path: QEMU opens an image's data"
                    + " file from its own working directory, not beside the image (qemu-img amend -o"
                    + " data_file=/ABSOLUTE/PATH IMAGE names it so)", e.getMessage());
        }
        assertEquals("the rule is not asked about a file beside the image", List.of(), asked);
        Path protocol = image("nbd:10.0.0.9:10809");
        assertEquals("the image names 'nbd:10.0.0.9:10809', which QEMU would read as a protocol: a test's image may"
                + " name files only", assertThrows(HypervisorException.class, () -> require(protocol)).getMessage());
    }
}
