package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.Test;

/** What a domain's job that fails tells its caller, and what the daemon's log keeps of it. */
public class DomainJobTest {
    private final Domain domain = new Domain("web", UUID.fromString("0a5e2ed4-9c3e-4f36-a1f2-4f3b0c8f7d11"));

    /**
     * A Confirm that failed on an I/O error reached the operator only as a warning of {@code ferry migrate} (exit 0),
     * and the source daemon's log said nothing of it: the failure is logged there, with where it came from.
     */
    @Test
    public void aFailureNobodyForesawIsLoggedWithWhereItCameFrom() throws Exception {
        String log = StderrLog.of(() -> {
            DomainException e = assertThrows(DomainException.class, () -> domain.runJob("migration confirm", id -> true, () -> {
                throw new UncheckedIOException(new NoSuchFileException("/run/ferry/qmp.sock"));
            }));
            assertEquals("migration confirm of domain web failed: java.nio.file.NoSuchFileException: /run/ferry/qmp.sock",
                    e.getMessage());
        });
        assertTrue(log, log.contains("ERROR") && log.contains("migration confirm of domain web failed"));
        assertTrue("the stack trace: " + log, log.contains("at io.ferry.core.domain.DomainJobTest"));
    }

    /**
     * One job at a time: a second waits for the first (libvirt's 30 s) and is then refused naming the job that holds
     * the domain, without running. Run anyway, two jobs would change the domain at once (a start beside a migration).
     */
    @Test(timeout = 120_000)
    public void aJobThatCannotHaveTheDomainInTimeIsRefusedAndDoesNotRun() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                domain.runJob("migration perform", id -> true, () -> {
                    held.countDown();
                    release.await();
                    return null;
                });
            } catch (DomainException e) {
                throw new IllegalStateException(e);
            }
        }, "holder");
        holder.start();
        held.await();
        AtomicBoolean ran = new AtomicBoolean();
        try {
            DomainException e = assertThrows(DomainException.class, () -> domain.runJob("start", id -> true, () -> {
                ran.set(true);
                return null;
            }));
            assertEquals("Timed out during operation: cannot acquire state change lock (held by migration perform)",
                    e.getMessage());
            assertFalse("the refused job ran", ran.get());
        } finally {
            release.countDown();
            holder.join();
        }
    }

    /** A failure its code declares (a full disk, a hook's refusal) is logged by its message alone. */
    @Test
    public void aForeseenFailureIsLoggedByItsMessage() throws Exception {
        String log = StderrLog.of(() -> {
            DomainException e = assertThrows(DomainException.class, () -> domain.runJob("define", id -> true, () -> {
                throw new IOException("cannot write domains/web.xml: No space left on device");
            }));
            assertEquals("define of domain web failed: cannot write domains/web.xml: No space left on device", e.getMessage());
        });
        assertTrue(log, log.contains("WARN") && log.contains("define of domain web failed: cannot write domains/web.xml"));
        assertFalse("no stack trace: " + log, log.contains("at io.ferry"));
    }

    /** A refusal names its cause to its caller, who reports it: nothing for the log. */
    @Test
    public void aRefusalIsLeftToItsCaller() throws Exception {
        String log = StderrLog.of(() -> {
            DomainException e = assertThrows(DomainException.class, () -> domain.runJob("start", id -> true, () -> {
                throw new DomainException("Requested operation is not valid: domain is already running");
            }));
            assertEquals("Requested operation is not valid: domain is already running", e.getMessage());
        });
        assertFalse(log, log.contains("web"));
    }
}
