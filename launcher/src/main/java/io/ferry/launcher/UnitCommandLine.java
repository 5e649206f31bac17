package io.ferry.launcher;

import io.ferry.settings.SettingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/ferryd-systemd-unit}'s check of the flags it writes into a unit: ferryd's own, so that a misspelt option or
 * a bad value is refused when the unit is printed rather than at each of systemd's restarts; and with every path made
 * absolute, as the operator meant it here (systemd starts ferryd in /). Prints each argument on a line of its own after
 * a {@code +} (so an empty one is kept), then each directory the unit requires mounted after a {@code =}
 * ({@link DaemonOptions#mountedDirectories}); exits 2 for an unknown option and 1 for a bad value, as ferryd does.
 */
public final class UnitCommandLine {
    private UnitCommandLine() {
    }

    public static void main(String[] args) {
        try {
            lines(List.of(args), FerryHome.fromSystemProperty()).forEach(System.out::println);
        } catch (DaemonOptions.UsageException e) {
            refuse(e.getMessage(), 2);
        } catch (SettingException | IllegalStateException e) {
            refuse(e.getMessage(), 1);
        }
    }

    static List<String> lines(List<String> args, FerryHome home) {
        List<String> lines = new ArrayList<>();
        for (String argument : DaemonOptions.absoluteCommandLine(args, home)) {
            lines.add("+" + argument);
        }
        DaemonOptions options = DaemonOptions.parse(args, home);
        requireStateOutside(home, options.stateDir());
        for (Path directory : options.mountedDirectories()) {
            if (directory.toString().matches("(?s).*[\n\r].*")) { // from etc/: the command line's are checked before
                throw new SettingException("the directory " + directory.toString().replaceAll("[\n\r]", "\\\\n")
                        + " holds a line break, which a unit file cannot carry");
            }
            lines.add("=" + directory);
        }
        return lines;
    }

    /**
     * Refuses a state directory inside the installation (the default is): a unit outlives it, and the next build
     * installed beside it (a new directory, the unit printed again) would start its ferryd empty, the guests running
     * here unknown to it, and a definition written again and started would boot a second copy on the same disks.
     * The state a ferryd already keeps in an installation (this one's, or the one its unit runs now) is to be moved
     * only once no guest runs on the host: the run directory its record names holds their monitors.
     */
    private static void requireStateOutside(FerryHome home, Path stateDir) {
        Path root = DaemonOptions.realPath(home.root());
        if (DaemonOptions.realPath(stateDir).startsWith(root)) {
            throw new SettingException("the state directory " + stateDir + " is inside the installation " + root
                    + ", which a unit outlives (an upgrade installed beside it would start with none of its state: the"
                    + " guests running here unknown, their definitions and journal gone): name one outside it with"
                    + " --state-dir (stateDir), e.g. /var/lib/ferry. A ferryd whose state is in an installation's var/"
                    + " (this one's, or the one its unit runs now) starts empty there unless that state is moved first,"
                    + " and only once no guest runs on this host (shut off or migrated away: the run directory the"
                    + " state records holds their monitors): stop that ferryd, then mv -T INSTALLATION/var"
                    + " /var/lib/ferry (a name not taken yet)");
        }
    }


    private static void refuse(String message, int status) {
        System.err.println("ferryd-systemd-unit: " + String.valueOf(message).replaceAll("\\s*\\R\\s*", " "));
        System.exit(status);
    }
}
