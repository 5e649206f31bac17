package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.ferry.core.migration.LiveJob;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Job;
import java.util.UUID;
import org.junit.Test;

/** {@code domjobinfo} over a real socket: the job, running or ended, names the migration it is. */
public class JobInfoTest {
    @Test(timeout = 60_000)
    public void aJobNamesItsMigrationWhileItRunsAndOnceItEnded() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        ChannelServer server = channel.server(channel.routes);
        server.start();
        try {
            DaemonClient daemon = new DaemonClient(new ControlClient(ChannelTls.url(server.address(), null)));
            String id = UUID.randomUUID().toString();
            LiveJob job = channel.engine.jobs().start(TestChannel.DOMAIN, "Outgoing migration", id, 0);

            Job running = daemon.job(TestChannel.DOMAIN, false);
            channel.engine.jobs().end(TestChannel.DOMAIN, job, true);
            Job ended = daemon.job(TestChannel.DOMAIN, true);
            Job none = daemon.job(TestChannel.DOMAIN, false);

            assertEquals("unbounded", running.type());
            assertEquals(id, running.migration());
            assertEquals("completed", ended.type());
            assertEquals(id, ended.migration());
            assertEquals("none", none.type());
            assertNull(none.migration());
        } finally {
            server.stop();
        }
    }
}
