package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** Every command refuses an option it does not know, with one line naming it, before it does anything. */
public class UnknownOptionsTest {
    private record Outcome(int exit, String out, String err) {
    }

    private static Outcome ferry(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Ferry.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void everyCommandRefusesAnOptionItDoesNotKnow() {
        for (String command : Ferry.commandNames()) {
            List<String> args = new ArrayList<>(List.of(command));
            if (command.equals("cookie")) {
                args.add("roundtrip"); // the tool comes first
            }
            args.add("--no-such-option");
            Outcome outcome = ferry(args);
            assertEquals(args.toString(), new Outcome(1, "", "error: unknown option '--no-such-option'\n"), outcome);
        }
    }

    @Test
    public void demoRefusesWhatItDoesNotKnowBeforeStartingAnything() {
        assertEquals(new Outcome(1, "", "error: unknown option '--qemu=yes'\n"), ferry(List.of("demo", "--qemu=yes")));
        assertEquals(new Outcome(1, "", "error: unexpected argument 'qemu'\n"), ferry(List.of("demo", "qemu")));
    }
}
