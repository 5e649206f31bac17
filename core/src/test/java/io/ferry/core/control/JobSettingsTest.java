package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.core.migration.Jobs;
import io.ferry.core.migration.LiveJob;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.Operation;
import java.util.UUID;
import org.junit.Test;

/**
 * virsh's migrate-getspeed and migrate-getmaxdowntime over a real socket: what the domain's migrations get now, as the
 * setters left it; the running job's own (a {@code migrate --bandwidth}) while one runs. Ferry had only the setters.
 */
public class JobSettingsTest {
    private static final long MIB = 1024 * 1024;

    @Test(timeout = 60_000)
    public void theGettersAnswerWhatTheSettersAndTheRunningJobLeft() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        ChannelServer server = channel.server(channel.routes);
        server.start();
        try {
            DaemonClient daemon = new DaemonClient(new ControlClient(ChannelTls.url(server.address(), null)));
            String vm = TestChannel.DOMAIN;
            assertEquals("no cap", 0, daemon.speed(vm));
            assertEquals("libvirt's default", Jobs.DEFAULT_MAX_DOWNTIME_MS, daemon.maxDowntime(vm));

            daemon.setSpeed(vm, "100");
            daemon.setMaxDowntime(vm, "500");
            assertEquals(100, daemon.speed(vm));
            assertEquals(500, daemon.maxDowntime(vm));

            LiveJob job = channel.engine.jobs().start(vm, "Outgoing migration", UUID.randomUUID().toString(), 7 * MIB);
            assertEquals("the running migration's --bandwidth", 7, daemon.speed(vm));
            channel.engine.jobs().end(vm, job, true);
            assertEquals("the next migration's", 100, daemon.speed(vm));

            ChannelException unknown = assertThrows(ChannelException.class, () -> daemon.speed("nosuch"));
            assertEquals("Domain not found: no domain with matching name 'nosuch'", unknown.getMessage());
        } finally {
            server.stop();
        }
    }

    @Test
    public void onlyAnOperatorMayAsk() {
        assertEquals(Route.Access.OPERATOR, routeOf(Operation.JOB_GET_SPEED));
        assertEquals(Route.Access.OPERATOR, routeOf(Operation.JOB_GET_MAX_DOWNTIME));
    }

    private static Route.Access routeOf(Operation operation) {
        try {
            return TestChannel.withOneDomain().routes.route(operation).access();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
