package io.ferry.settings;

import java.util.List;

/**
 * One of ferryd's settings: the configuration it lives in (a Config Admin PID and key, the file
 * {@code etc/PID.cfg}), the ferryd flag that overrides it, its default and the check that turns its text into a
 * value.
 *
 * @param pid the configuration's PID, or {@link FerrydSettings#FRAMEWORK} for a framework property
 * @param flag ferryd's flag, or null when only the configuration sets it
 * @param valueName what the flag's value is, for {@code --help} ("SECONDS"); null: a switch, which takes no value
 *        and means {@code true}
 * @param defaultValue as a configuration file spells it; empty: unset
 * @param help one line for {@code ferryd --help}
 */
public record Setting<T>(String pid, String key, String flag, String valueName, String defaultValue, Check<T> check,
        String help) {

    /** Turns a setting's text (trimmed, never empty) into its value. */
    @FunctionalInterface
    public interface Check<T> {
        /** @throws IllegalArgumentException whose message says what is wrong, as in "is not a UUID" */
        T parse(String text);
    }

    public boolean isSwitch() {
        return valueName == null;
    }

    /** A list of patterns or paths: its flag may be given more than once, each time with one of them. */
    public boolean isRepeatable() {
        return check == Checks.SUBJECT_PATTERNS || check == Checks.ABSOLUTE_PATHS;
    }

    /** The values of a repeated flag as the setting's one text holds them: paths with commas, patterns each quoted. */
    public String joinRepeated(List<String> values) {
        return check == Checks.ABSOLUTE_PATHS ? String.join(",", values) : SubjectPattern.joinQuoted(values);
    }

    /** Each value of a repeated flag of paths is a path, relative to the working directory like {@link #isPath}'s. */
    public boolean isRepeatedPath() {
        return check == Checks.ABSOLUTE_PATHS;
    }

    /** Paths given on the command line are relative to the working directory, in a file to the installation. */
    public boolean isPath() {
        return check == Checks.PATH;
    }
}
