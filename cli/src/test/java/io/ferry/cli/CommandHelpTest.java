package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** As virsh's {@code virsh migrate --help} and {@code virsh help migrate}: every command's {@code --help} (or {@code -h}) prints its usage and does nothing. */
public class CommandHelpTest {
    @Test
    public void everyCommandPrintsItsUsageForHelp() {
        for (String command : Ferry.commandNames()) {
            for (String help : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(List.of(command));
                if (command.equals("cookie")) {
                    args.add("check"); // the tool comes first
                }
                args.add(help);
                CliRun outcome = CliRun.ferry(args);
                assertEquals(args + ": " + outcome.err(), 0, outcome.exit());
                assertEquals(args.toString(), "", outcome.err());
                assertTrue(args + ": " + outcome.out(), outcome.out().startsWith("usage: ferry [-c URI] " + command + " "));
            }
        }
    }

    @Test
    public void helpAfterTheArgumentsStillDoesNothingButPrintTheUsage() {
        // no daemon listens at this address: a command that ran would fail to connect
        CliRun outcome = CliRun.ferry("-c", "ferry+tcp://127.0.0.1:1", "migrate", "--live", "vm1", "ferry+tcp://127.0.0.1:2", "--help");
        assertEquals(outcome.err(), 0, outcome.exit());
        assertTrue(outcome.out(), outcome.out().startsWith("usage: ferry [-c URI] migrate [--live] [--p2p]"));
        assertTrue(outcome.out(), outcome.out().contains("[--timeout SECONDS [--timeout-suspend]]"));
    }

    @Test
    public void helpOfACommandPrintsItsUsageAsItsHelpOptionDoes() {
        for (String command : Ferry.commandNames()) {
            assertEquals(command, CliRun.ferry(command, "--help"), CliRun.ferry("help", command));
        }
        assertEquals(new CliRun(1, "", "error: unknown command: 'migrat' (see 'ferry help')\n"), CliRun.ferry("help", "migrat"));
    }

    @Test
    public void helpBeforeTheCommandIsFerrysOwn() {
        CliRun usage = CliRun.ferry("help");
        assertEquals(usage.err(), 0, usage.exit());
        for (String help : List.of("--help", "-h")) {
            assertEquals(help, usage, CliRun.ferry(help));
            assertEquals(help + " migrate", usage, CliRun.ferry(help, "migrate", "vm1"));
        }
        assertEquals(new CliRun(1, "", "error: unknown option '--hlep'\n"), CliRun.ferry("--hlep", "migrate"));
    }
}
