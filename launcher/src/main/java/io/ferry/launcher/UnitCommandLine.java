package io.ferry.launcher;

import io.ferry.settings.SettingException;
import java.util.List;

/**
 * {@code bin/ferryd-systemd-unit}'s check of the flags it writes into a unit: ferryd's own, so that a misspelt option or
 * a bad value is refused when the unit is printed rather than at each of systemd's restarts; and with every path made
 * absolute, as the operator meant it here (systemd starts ferryd in /). Prints each argument on a line of its own after
 * a {@code +} (so an empty one is kept); exits 2 for an unknown option and 1 for a bad value, as ferryd does.
 */
public final class UnitCommandLine {
    private UnitCommandLine() {
    }

    public static void main(String[] args) {
        try {
            for (String argument : DaemonOptions.absoluteCommandLine(List.of(args), FerryHome.fromSystemProperty())) {
                System.out.println("+" + argument);
            }
        } catch (DaemonOptions.UsageException e) {
            refuse(e.getMessage(), 2);
        } catch (SettingException | IllegalStateException e) {
            refuse(e.getMessage(), 1);
        }
    }

    private static void refuse(String message, int status) {
        System.err.println("ferryd-systemd-unit: " + String.valueOf(message).replaceAll("\\s*\\R\\s*", " "));
        System.exit(status);
    }
}
