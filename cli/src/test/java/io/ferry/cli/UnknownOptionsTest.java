package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** Every command refuses an option it does not know, with one line naming it, before it does anything. */
public class UnknownOptionsTest {
    @Test
    public void everyCommandRefusesAnOptionItDoesNotKnow() {
        for (String command : Ferry.commandNames()) {
            List<String> args = new ArrayList<>(List.of(command));
            if (command.equals("cookie")) {
                args.add("roundtrip"); // the tool comes first
            }
            args.add("--no-such-option");
            CliRun outcome = CliRun.ferry(args);
            assertEquals(args.toString(), new CliRun(1, "", "error: unknown option '--no-such-option'\n"), outcome);
        }
    }

    @Test
    public void demoRefusesWhatItDoesNotKnowBeforeStartingAnything() {
        assertEquals(new CliRun(1, "", "error: unknown option '--qemu=yes'\n"), CliRun.ferry("demo", "--qemu=yes"));
        assertEquals(new CliRun(1, "", "error: unexpected argument 'qemu'\n"), CliRun.ferry("demo", "qemu"));
    }
}
