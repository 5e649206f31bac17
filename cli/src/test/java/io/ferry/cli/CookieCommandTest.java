package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.DaemonMessages.Checked;
import io.ferry.protocol.DaemonMessages.CheckedSection;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code ferry cookie check} and {@code bake} as far as the command itself goes: its report, its refusals. */
public class CookieCommandTest {
    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    private static String ferry(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Ferry.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return exit + " " + out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void theReportHasOneLinePerSectionWithWhatItWouldHaveDone() {
        Checked checked = new Checked("finish", "lock manager mismatch", List.of("network"), List.of(
                new CheckedSection("network", CheckedSection.EATEN, null, List.of("would write the port data of interface 0 on vnet0",
                        "warning: interface 1 has no Open vSwitch port on this host: its port data is dropped")),
                new CheckedSection("clock", CheckedSection.SKIPPED, "malformed offset", List.of()),
                new CheckedSection("lockstate", CheckedSection.FAILED, "lock manager mismatch", List.of()),
                new CheckedSection("persistent", CheckedSection.NOT_EATEN, "finish stopped at lockstate", List.of()),
                new CheckedSection("<nbd>", CheckedSection.NOT_EATEN, "no section of this host reads it", List.of())));
        assertEquals(List.of(
                "network: eaten; would write the port data of interface 0 on vnet0; warning: interface 1 has no Open vSwitch port"
                        + " on this host: its port data is dropped",
                "clock: failed, optional (a migration goes on without it): malformed offset",
                "lockstate: failed: lock manager mismatch",
                "persistent: not eaten (finish stopped at lockstate)",
                "<nbd>: not eaten (no section of this host reads it)"), CookieCommand.report(checked));
    }

    @Test
    public void filesAndRequiredOptionsAreCheckedBeforeAnythingStarts() throws Exception {
        Path cookie = Files.writeString(folder.newFile("cookie.xml").toPath(), "<qemu-migration/>");
        assertEquals("1 error: no such file: /nonexistent/vm.xml\n",
                ferry("cookie", "check", "--phase", "finish", "--domain-xml", "/nonexistent/vm.xml", cookie.toString()));
        assertEquals("1 error: no such file: /nonexistent/vm.xml\n",
                ferry("cookie", "bake", "--phase", "perform", "--domain-xml", "/nonexistent/vm.xml"));
        assertEquals("without a domain, name and UUID are needed", "1 error: missing required option --name\n",
                ferry("cookie", "bake", "--phase", "perform", "--uuid", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
        assertEquals("1 error: option --domain-xml needs a value\n", ferry("cookie", "bake", "--phase", "perform", "--domain-xml"));
        assertEquals("1 error: missing cookie tool: roundtrip, check or bake\n", ferry("cookie"));
        Path huge = folder.newFile("huge.xml").toPath();
        try (RandomAccessFile sparse = new RandomAccessFile(huge.toFile(), "rw")) {
            sparse.setLength(CookieFiles.MAX_BYTES + 1L);
        }
        assertEquals("1 error: " + huge + " is larger than 67108864 bytes: not a migration cookie\n",
                ferry("cookie", "roundtrip", huge.toString()));
    }

    /** ferry migrate's warnings reach stderr with or without --show-cookies; its cookies only with it. */
    @Test
    public void migrateWarnsOnStderrWhetherItShowsCookiesOrNot() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        MigrateListener quiet = new MigrateListener(null, new PrintStream(err, true, StandardCharsets.UTF_8)::println);
        quiet.step("begin", "ferry+tcp://127.0.0.1:1", "<qemu-migration/>\n");
        quiet.warning("the destination committed domain vm but could not resume it");
        assertEquals("warning: the destination committed domain vm but could not resume it\n", err.toString(StandardCharsets.UTF_8));

        err.reset();
        MigrateListener showing = new MigrateListener(new CookieTranscript(new PrintStream(out, true, StandardCharsets.UTF_8)),
                new PrintStream(err, true, StandardCharsets.UTF_8)::println);
        showing.step("begin", "ferry+tcp://127.0.0.1:1", "<qemu-migration/>\n");
        showing.warning("Confirm failed");
        assertEquals("\n== Begin on ferry+tcp://127.0.0.1:1, cookie out:\n<qemu-migration/>\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("warning: Confirm failed\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void theCookieTranscriptNamesEachPhaseItsHostAndItsCookie() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CookieTranscript transcript = new CookieTranscript(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        transcript.step("begin", "ferry+tcp://127.0.0.1:1", "<qemu-migration>\n</qemu-migration>\n");
        transcript.step("confirm", "ferry+tcp://127.0.0.1:1", null);
        transcript.warning("Confirm failed");
        assertEquals("\n== Begin on ferry+tcp://127.0.0.1:1, cookie out:\n<qemu-migration>\n</qemu-migration>\n"
                + "\n== Confirm on ferry+tcp://127.0.0.1:1 (no cookie out)\nwarning: Confirm failed\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
