package io.ferry.core.migration;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.io.DataOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.junit.Test;

/**
 * A tunnelled memory stream is bound to the arrival it was opened for, not to whatever VM its domain has when the
 * stream proves itself: a peer that held its token's last byte back while its arrival was aborted, and the domain
 * (defined here, so the same entry) took the next arrival's VM, wrote into that VM after it was committed and running.
 */
public class LateTunnelStreamTest {
    private static final String VM = "vm1";
    private static final MigrationFlags TUNNELLED = new MigrationFlags(true, true, true, false, false, false, false);

    @Test(timeout = 60_000)
    public void aStreamOfAnAbortedArrivalNeverReachesTheNextArrivalsVm() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand aborted = d.byHand(VM, TUNNELLED).prepare();
        Messages.Endpoint endpoint = d.destination.engine().endpoint(aborted.begun.id(), aborted.begun.key());
        PipedOutputStream peer = new PipedOutputStream();
        PipedInputStream body = new PipedInputStream(peer, 256 * 1024);
        CompletableFuture<Exception> tunnel = CompletableFuture.supplyAsync(() -> {
            try {
                d.destination.engine().tunnel(aborted.begun.id(), body);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        byte[] token = endpoint.token().getBytes(StandardCharsets.US_ASCII);
        peer.write(token, 0, token.length - 1);
        peer.flush();
        while (body.available() > 0) { // the tunnel took its migration and waits for the token's last byte
            Thread.sleep(5);
        }

        aborted.cancel();
        d.migrate(VM);
        d.destination.assertRuns(VM, digest);
        peer.write(token[token.length - 1]);
        writeMemory(peer, (byte) 0x5a);

        Exception refused = tunnel.get();
        assertNotNull("the late stream was taken", refused);
        assertTrue(refused.getMessage(), refused.getMessage().contains(aborted.begun.id()));
        d.destination.assertRuns(VM, digest);
    }

    /** A memory stream as {@link FakeVm} sends it, every byte {@code fill}. */
    private static void writeMemory(PipedOutputStream out, byte fill) throws Exception {
        byte[] memory = new byte[FakeVm.SIZE];
        Arrays.fill(memory, fill);
        CRC32C crc = new CRC32C();
        crc.update(memory);
        try (DataOutputStream data = new DataOutputStream(out)) {
            data.writeInt(memory.length);
            data.write(memory);
            data.writeUTF(Long.toHexString(crc.getValue()));
        } catch (java.io.IOException e) {
            // the tunnel may refuse before it reads all of it (a closed pipe): what it did is asserted
        }
    }
}
