package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.migration.Hooks.HookRefusal;
import io.ferry.process.BoundedProcessRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The hook script {@code etc/hooks/ferry}: only {@code begin} may refuse; {@code end} never fails a migration. */
public class HooksTest {
    private static final String XML = "<domain type='sim'><name>vm1</name></domain>";

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();
    private final BoundedProcessRunner processes = new BoundedProcessRunner();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private PrintStream stderr;
    private Path dir;
    private Hooks hooks;

    @Before
    public void setUp() throws Exception {
        dir = tmp.newFolder("hooks").toPath();
        hooks = new Hooks(dir, processes, Duration.ofSeconds(1));
        stderr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple logs there
    }

    @After
    public void tearDown() {
        System.setErr(stderr);
        processes.close();
    }

    private Path hook(String body) throws Exception {
        Path script = dir.resolve("ferry");
        Files.writeString(script, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    private String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void theHookGetsNameOperationAndTheDefinitionOnStdin() throws Exception {
        Path seen = tmp.getRoot().toPath().resolve("seen");
        hook("echo \"$*\" > " + seen + "; cat >> " + seen);
        hooks.begin("vm1", "source", XML);
        assertEquals(List.of("vm1 migrate begin -", XML), Files.readAllLines(seen));
        hooks.end("vm1", "destination", XML);
        assertEquals(List.of("vm1 migrate end -", XML), Files.readAllLines(seen));
    }

    @Test
    public void aBeginHookThatFailsRefusesWithItsStderr() throws Exception {
        Path script = hook("cat > /dev/null; echo 'site policy:' >&2; echo '  vm1 stays here' >&2; exit 1");
        HookRefusal refusal = assertThrows(HookRefusal.class, () -> hooks.begin("vm1", "source", XML));
        assertEquals("hook script " + script + " refused the migration of vm1: site policy: vm1 stays here", refusal.getMessage());
    }

    @Test
    public void aBeginHookThatHangsWithStderrOpenIsRefusedAtTheLimit() throws Exception {
        Path script = hook("echo 'thinking' >&2; sleep 600");
        HookRefusal refusal = assertThrows(HookRefusal.class, () -> hooks.begin("vm1", "destination", XML));
        assertEquals("hook script " + script + " did not finish within 1 s", refusal.getMessage());
    }

    @Test
    public void aBeginHookThatCannotRunRefuses() throws Exception {
        Path script = hook("");
        Files.writeString(script, "#!/nonexistent/interpreter\n");
        HookRefusal refusal = assertThrows(HookRefusal.class, () -> hooks.begin("vm1", "source", XML));
        assertEquals("cannot run hook script " + script + ": No such file or directory", refusal.getMessage());
    }

    @Test
    public void anEndHookThatFailsIsOnlyLogged() throws Exception {
        Path script = hook("echo 'cannot tell the CMDB' >&2; exit 2");
        hooks.end("vm1", "source", XML);
        assertTrue(log(), log().contains("hook script " + script + " failed (exit 2) at the end of the migration of vm1,"
                + " which stands: cannot tell the CMDB"));
    }

    @Test
    public void anEndHookThatHangsIsOnlyLogged() throws Exception {
        Path script = hook("sleep 600");
        hooks.end("vm1", "destination", XML);
        assertTrue(log(), log().contains("hook script " + script + " did not finish within 1 s, at the end of the migration"
                + " of vm1, which stands"));
    }

    @Test
    public void withoutAnExecutableHookEventsAreStillRecorded() throws Exception {
        hooks.begin("vm1", "source", XML);
        Files.writeString(dir.resolve("ferry"), "#!/bin/sh\nexit 1\n"); // not executable: not a hook
        hooks.begin("vm1", "destination", XML);
        new Hooks(null, processes).end("vm2", "source", XML);
        hooks.end("vm1", "source", XML);
        assertEquals(List.of("vm1 begin source", "vm1 begin destination", "vm1 end source"),
                hooks.events().stream().map(e -> e.domain() + " " + e.operation() + " " + e.side()).toList());
        assertEquals(List.of(1L, 2L, 3L), hooks.events().stream().map(Hooks.Event::sequence).toList());
    }

    /** A daemon that runs for months keeps the latest events, not every one since it started. */
    @Test
    public void onlyTheLatestEventsAreKept() {
        int more = 10;
        for (int i = 0; i < Hooks.EVENTS_KEPT + more; i++) {
            hooks.failed("vm" + i, "source", "the destination did not commit it");
        }
        List<Hooks.Event> kept = hooks.events();
        assertEquals(Hooks.EVENTS_KEPT, kept.size());
        assertEquals("vm" + more, kept.get(0).domain());
        assertEquals(Hooks.EVENTS_KEPT + more, kept.get(kept.size() - 1).sequence());
    }

    @Test
    public void theTimeLimitMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Hooks(dir, processes, Duration.ZERO));
        assertEquals("the hook time limit must be positive, not PT0S", e.getMessage());
    }
}
