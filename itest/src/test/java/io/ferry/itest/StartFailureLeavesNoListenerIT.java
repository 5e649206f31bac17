package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A control channel whose start fails after it began to listen (its URL file cannot be written: a full disk, a
 * directory in the way) takes back what it started: nothing deactivates a component whose activation failed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StartFailureLeavesNoListenerIT extends FerryTestSupport {
    private static final String START_FAILURE = "ferry.start.failure";

    /**
     * The failed start kept listening on its port, published its URL as if it had started (ferryd took the daemon for
     * started, and no failure was reported), and the next start on the port found it taken, for as long as the
     * process ran.
     */
    @Test
    public void aStartThatCannotWriteItsUrlFileReleasesItsPortAndTheNextStartTakesIt() throws Exception {
        Path state = workDir("start-failure-").resolve("state");
        Path blocker = Files.createDirectories(state.resolve("control-url").resolve("in-the-way"));
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        ConfigurationAdmin configAdmin = awaitService(ConfigurationAdmin.class);
        org.osgi.service.cm.Configuration configuration = configAdmin.getConfiguration(DAEMON_PID, "?");
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("listen", "127.0.0.1:" + port);
        properties.put("stateDir", state.toString());
        properties.put("hostUuid", HOST_UUID);
        properties.put("hostname", "itest-source");
        configuration.update(properties);

        ServiceReference<?> outcome = awaitReference("(|(" + START_FAILURE + "=*)(" + CONTROL_URL + "=*))");
        assertNull("the control channel was published though its start failed: " + outcome.getProperty(CONTROL_URL),
                outcome.getProperty(CONTROL_URL));
        assertTrue(String.valueOf(outcome.getProperty(START_FAILURE)),
                String.valueOf(outcome.getProperty(START_FAILURE)).startsWith("cannot write " + state.resolve("control-url")));
        try (Socket listening = new Socket(InetAddress.getLoopbackAddress(), port)) {
            fail("port " + port + " still listens after the failed start");
        } catch (ConnectException refused) {
            // nothing listens there
        }

        Files.delete(blocker);
        Files.delete(blocker.getParent());
        configuration.update(properties); // the operator fixed it: the daemon starts again, on its port
        ServiceReference<?> control = awaitReference("(" + CONTROL_URL + "=*)");
        assertEquals("ferry+tcp://127.0.0.1:" + port, control.getProperty(CONTROL_URL));
        assertTrue(new ControlClient((String) control.getProperty(CONTROL_URL)).sections().containsKey("persistent"));
    }
}
