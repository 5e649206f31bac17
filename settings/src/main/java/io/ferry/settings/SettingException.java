package io.ferry.settings;

/** A setting that cannot be used; the message is one line naming the setting, where it was given and why. */
public final class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SettingException(String message) {
        super(message);
    }
}
