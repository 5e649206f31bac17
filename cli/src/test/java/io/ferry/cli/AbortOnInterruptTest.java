package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C of {@code ferry migrate} against a daemon's answers, with a real SIGINT sent to this JVM: the abort's
 * answer is printed, a refusal once, a daemon that has no job yet is asked again until the command ends, a migration
 * that had not begun ends the command, and the JVM's own handler is back once the command has ended.
 */
public class AbortOnInterruptTest {
    private static final String ABORT = "/v1/domains/vm1/job/abort";
    private static final String MIGRATION = "6f1c0a52-7d4e-4b8e-9a51-0c3d2e1f4a5b";
    private static final Signal INT = new Signal("INT");

    @Rule
    public final FakeDaemon daemon = new FakeDaemon();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final List<Integer> exits = new CopyOnWriteArrayList<>();
    private final SignalHandler before = signal -> {
        throw new AssertionError("SIGINT reached the handler from before the command");
    };
    private SignalHandler jvms;

    @Before
    public void handlerOfItsOwn() {
        jvms = Signal.handle(INT, before);
    }

    @After
    public void jvmsHandlerBack() {
        Signal.handle(INT, jvms);
    }

    private AbortOnInterrupt install() throws Exception {
        return AbortOnInterrupt.install(new DaemonChannel(new ControlClient(daemon.uri())), "vm1", MIGRATION,
                new PrintStream(printed, true, StandardCharsets.UTF_8), exits::add);
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void theAbortsAnswerIsPrinted() throws Exception {
        daemon.answer(ABORT, 200, "<aborted message='Migration of vm1 aborted'/>");
        interruptedAndAnswered();
        assertEquals(1, daemon.answered());
        assertEquals("\ninterrupted: aborting the migration of vm1 (Ctrl-C again leaves it to the daemons)\n"
                + "Migration of vm1 aborted\n", printed());
        assertEquals(List.of(), exits);
    }

    @Test
    public void aRefusalIsPrintedOnceNotAskedAgain() throws Exception {
        daemon.answer(ABORT, 409, "<error>migration " + MIGRATION + " cannot be aborted now</error>");
        interruptedAndAnswered();
        assertEquals(1, daemon.answered());
        assertTrue(printed(), printed().endsWith("\nerror: migration " + MIGRATION + " cannot be aborted now\n"));
    }

    /** A daemon without abort by id (older): the Begin may still be on its way, so it is asked again, until the end. */
    @Test
    public void noJobYetIsAskedAgainUntilTheCommandEnds() throws Exception {
        daemon.answer(ABORT, 409, "<error>" + DaemonClient.NO_ACTIVE_JOB + "</error>");
        AbortOnInterrupt interrupt = install();
        Signal.raise(INT);
        awaitAnswers(2);
        interrupt.close(); // waits for the abort thread, up to its bound
        int asked = daemon.answered();
        Thread abort = abortThread();
        assertTrue("the abort thread still runs after the command ended", abort == null);
        assertEquals(asked, daemon.answered());
        assertFalse(printed(), printed().contains("error:"));
    }

    @Test
    public void aMigrationThatHadNotBegunEndsTheCommand() throws Exception {
        daemon.answer(ABORT, 200, "<withdrawn message='Migration " + MIGRATION + " withdrawn before its Begin'/>");
        interruptedAndAnswered();
        assertEquals(List.of(1), exits);
        assertTrue(printed(), printed().endsWith("withdrawn before its Begin\n"
                + "error: interrupted: the migration of vm1 had not begun\n"));
    }

    /** A daemon that says nothing of what it did (not Ferry's): its answer is still acted on. */
    @Test
    public void anAnswerWithoutAMessageIsActedOn() throws Exception {
        daemon.answer(ABORT, 200, "<withdrawn/>");
        interruptedAndAnswered();
        assertEquals(List.of(1), exits);
        assertTrue(printed(), printed().endsWith("(Ctrl-C again leaves it to the daemons)\n"
                + "error: interrupted: the migration of vm1 had not begun\n"));
    }

    @Test
    public void theHandlerFromBeforeIsBackOnceTheCommandEnded() throws Exception {
        install().close();
        assertSame(before, Signal.handle(INT, before));
    }

    /** Ctrl-C while the command runs, the daemon's first answer, then the command's end (which waits for the abort thread). */
    private void interruptedAndAnswered() throws Exception {
        try (AbortOnInterrupt interrupt = install()) {
            Signal.raise(INT);
            awaitAnswers(1);
        }
    }

    private void awaitAnswers(int count) throws InterruptedException {
        for (int i = 0; i < 300 && daemon.answered() < count; i++) {
            Thread.sleep(100);
        }
        assertTrue("asked " + daemon.answered() + " times, awaited " + count, daemon.answered() >= count);
    }

    private static Thread abortThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("ferry-abort")).findFirst()
                .orElse(null);
    }
}
