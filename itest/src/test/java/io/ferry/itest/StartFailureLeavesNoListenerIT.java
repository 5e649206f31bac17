package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A control channel whose start fails after it began to listen (its operator token or URL file cannot be written: a
 * full disk, a directory in the way) takes back what it started: nothing deactivates a component whose activation
 * failed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StartFailureLeavesNoListenerIT extends FerryTestSupport {
    private static final String START_FAILURE = "ferry.start.failure";

    /**
     * The failed start kept listening on its port, published its URL as if it had started (ferryd took the daemon for
     * started, and no failure was reported), and the next start on the port found it taken, for as long as the
     * process ran. Its operator token is taken back too.
     */
    @Test
    public void aStartThatCannotWriteItsUrlFileReleasesItsPortAndTheNextStartTakesIt() throws Exception {
        Path state = workDir("start-failure-").resolve("state");
        Path blocker = Files.createDirectories(state.resolve("control-url").resolve("in-the-way"));
        int port = freePort();
        Path token = tokenDirectory().resolve("127.0.0.1_" + port);
        ServiceReference<?> outcome = configure(port, state);
        assertFailed(outcome, "cannot write " + state.resolve("control-url"), port);
        assertFalse("the failed start's operator token is left: " + token, Files.exists(token));

        Files.delete(blocker);
        Files.delete(blocker.getParent());
        assertStartsAgainOn(port, state);
    }

    /** The same for a start whose operator token cannot be written (a directory in the way, a full disk). */
    @Test
    public void aStartThatCannotWriteItsOperatorTokenReleasesItsPortAndTheNextStartTakesIt() throws Exception {
        Path state = workDir("token-failure-").resolve("state");
        int port = freePort();
        Path blocker = Files.createDirectories(tokenDirectory().resolve("127.0.0.1_" + port).resolve("in-the-way"));
        ServiceReference<?> outcome = configure(port, state);
        assertFailed(outcome, "cannot write the operator token of the plain-TCP control channel", port);

        Files.delete(blocker);
        Files.delete(blocker.getParent());
        assertStartsAgainOn(port, state);
    }

    private static int freePort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** Where the daemon writes its operator tokens: the pom sets FERRY_TOKEN_DIR for the tests. */
    private static Path tokenDirectory() {
        String directory = System.getProperty("ferry.token.dir", System.getenv("FERRY_TOKEN_DIR"));
        assertNotNull("FERRY_TOKEN_DIR (set by the pom)", directory);
        return Path.of(directory);
    }

    /** Configures the daemon on {@code port}; the first start failure or control channel registered after now. */
    private ServiceReference<?> configure(int port, Path state) throws Exception {
        ServiceReference<?>[] earlier = context.getServiceReferences((String) null,
                "(|(" + START_FAILURE + "=*)(" + CONTROL_URL + "=*))");
        long newerThan = earlier == null ? -1 : Arrays.stream(earlier)
                .mapToLong(r -> (Long) r.getProperty(Constants.SERVICE_ID)).max().orElse(-1);
        ConfigurationAdmin configAdmin = awaitService(ConfigurationAdmin.class);
        org.osgi.service.cm.Configuration configuration = configAdmin.getConfiguration(DAEMON_PID, "?");
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("listen", "127.0.0.1:" + port);
        properties.put("stateDir", state.toString());
        properties.put("hostUuid", HOST_UUID);
        properties.put("hostname", "itest-source");
        configuration.update(properties);
        return awaitReference("(&(|(" + START_FAILURE + "=*)(" + CONTROL_URL + "=*))(" + Constants.SERVICE_ID + ">="
                + (newerThan + 1) + "))");
    }

    private static void assertFailed(ServiceReference<?> outcome, String failure, int port) throws Exception {
        assertNull("the control channel was published though its start failed: " + outcome.getProperty(CONTROL_URL),
                outcome.getProperty(CONTROL_URL));
        assertTrue(String.valueOf(outcome.getProperty(START_FAILURE)),
                String.valueOf(outcome.getProperty(START_FAILURE)).startsWith(failure));
        try (Socket listening = new Socket(InetAddress.getLoopbackAddress(), port)) {
            fail("port " + port + " still listens after the failed start");
        } catch (ConnectException refused) {
            // nothing listens there
        }
    }

    /** The operator fixed it: the daemon starts again, on its port. */
    private void assertStartsAgainOn(int port, Path state) throws Exception {
        ServiceReference<?> control = configure(port, state);
        assertEquals("ferry+tcp://127.0.0.1:" + port, control.getProperty(CONTROL_URL));
        assertTrue(new ControlClient((String) control.getProperty(CONTROL_URL)).sections().containsKey("persistent"));
    }
}
