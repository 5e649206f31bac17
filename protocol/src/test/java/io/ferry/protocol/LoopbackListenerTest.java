package io.ferry.protocol;

import static io.ferry.protocol.FakeProc.ANY_V4;
import static io.ferry.protocol.FakeProc.ANY_V6;
import static io.ferry.protocol.FakeProc.LISTEN;
import static io.ferry.protocol.FakeProc.LOOPBACK_V4;
import static io.ferry.protocol.FakeProc.LOOPBACK_V6;
import static io.ferry.protocol.FakeProc.MAPPED_LOOPBACK;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Before a plain-TCP client sends anything to a loopback port, it asks the kernel's socket tables (a fake
 * {@code /proc} here) who listens there: another local user who took ferryd's port while it was down (a crash, a
 * restart) is refused, and is given neither the operator token nor the call.
 */
public class LoopbackListenerTest {
    private static final int PORT = 16570;
    private static final int OPERATOR = 1000;
    private static final int SQUATTER = 1001;
    private static final String USER = System.getProperty("user.name");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private FakeProc proc;

    @Before
    public void fakeProc() throws Exception {
        proc = new FakeProc(folder.newFolder("proc").toPath(), OPERATOR);
    }

    private void check(String address, boolean token) throws Exception {
        proc.listener().check(InetAddress.getByName(address), PORT, token);
    }

    private String refusal(String address, boolean token) {
        return assertThrows(ChannelException.class, () -> check(address, token)).getMessage();
    }

    @Test
    public void aSquatterOnTheIpv4LoopbackIsRefused() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, SQUATTER);

        assertEquals("refusing to talk to 127.0.0.1:16570: the port is held by uid 1001, not by the user (" + USER
                + ", uid 1000) whose ferryd published its operator token there: if ferryd runs as uid 1001, run ferry"
                + " as that user; otherwise another local user may be posing as ferryd", refusal("127.0.0.1", true));
    }

    @Test
    public void theOperatorsOwnDaemonIsTalkedTo() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, OPERATOR);

        check("127.0.0.1", true);
    }

    @Test
    public void aJvmsListenerIsFoundAmongTheIpv6Sockets() throws Exception {
        proc.v6(MAPPED_LOOPBACK, PORT, LISTEN, OPERATOR);
        check("127.0.0.1", true);

        proc.v6(MAPPED_LOOPBACK, PORT + 1, LISTEN, SQUATTER); // another port: not this one's business
        check("127.0.0.1", true);
    }

    @Test
    public void aJvmSquatterIsFoundAmongTheIpv6Sockets() throws Exception {
        proc.v6(MAPPED_LOOPBACK, PORT, LISTEN, SQUATTER);

        assertTrue(refusal("127.0.0.1", true).contains("held by uid 1001"));
    }

    @Test
    public void theIpv6LoopbackIsCheckedToo() throws Exception {
        proc.v6(LOOPBACK_V6, PORT, LISTEN, SQUATTER);
        String refusal = refusal("::1", true);
        assertTrue(refusal, refusal.startsWith("refusing to talk to [::1]:16570: the port is held by uid 1001"));

        proc.clear().v6(LOOPBACK_V6, PORT, LISTEN, OPERATOR);
        check("::1", true);
    }

    @Test
    public void withoutATokenTheListenerMustStillBeThisUsersOrRoots() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, SQUATTER);
        String refusal = refusal("127.0.0.1", false);
        assertTrue(refusal, refusal.startsWith("refusing to talk to 127.0.0.1:16570: the port is held by uid 1001,"
                + " not by this user (" + USER + ", uid 1000) or root: if ferryd runs as uid 1001, run ferry as that"
                + " user;"));

        proc.clear().v4(LOOPBACK_V4, PORT, LISTEN, 0); // root's ferryd, driven by another user: it refuses, saying why
        check("127.0.0.1", false);
    }

    @Test
    public void aWildcardListenerTakesTheLoopbacksCallsWhenNoneIsBoundThere() throws Exception {
        proc.v4(ANY_V4, PORT, LISTEN, SQUATTER);
        assertTrue(refusal("127.0.0.1", true).contains("held by uid 1001"));

        proc.clear().v6(ANY_V6, PORT, LISTEN, SQUATTER);
        assertTrue(refusal("127.0.0.1", true).contains("held by uid 1001"));
        assertTrue(refusal("::1", true).contains("held by uid 1001"));
    }

    @Test
    public void aListenerBoundToTheAddressGoesBeforeAWildcardOne() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, OPERATOR);
        proc.v6(ANY_V6, PORT, LISTEN, SQUATTER); // an IPv6-only wildcard: the kernel gives 127.0.0.1's calls to ferryd

        check("127.0.0.1", true);
    }

    @Test
    public void connectionsOnThePortAreNotListeners() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, OPERATOR);
        proc.v4(LOOPBACK_V4, PORT, "01", SQUATTER); // ESTABLISHED
        proc.v4(LOOPBACK_V4, PORT, "06", SQUATTER); // TIME_WAIT

        check("127.0.0.1", true);
    }

    @Test
    public void nothingListeningLetsTheConnectionMeetWhatItMeets() throws Exception {
        proc.v4(LOOPBACK_V4, PORT + 1, LISTEN, OPERATOR);
        proc.v4(LOOPBACK_V4, PORT, "06", SQUATTER);

        check("127.0.0.1", true); // refused, or a port the kernel forwards (a container's), which no socket shows
    }

    @Test
    public void socketTablesThatCannotBeReadRefuseTheCall() throws Exception {
        proc.remove("tcp");

        String refusal = refusal("127.0.0.1", true);
        assertTrue(refusal, refusal.startsWith("refusing to talk to 127.0.0.1:16570: cannot tell who holds the port"));
        assertTrue(refusal, refusal.contains("net/tcp does not exist"));
    }

    @Test
    public void aKernelWithoutIpv6HasNoIpv6Table() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, OPERATOR).remove("tcp6");

        check("127.0.0.1", true);
    }

    @Test
    public void anAddressOffLoopbackIsNotChecked() throws Exception {
        proc.v4(LOOPBACK_V4, PORT, LISTEN, SQUATTER);

        check("192.0.2.1", true);
    }
}
