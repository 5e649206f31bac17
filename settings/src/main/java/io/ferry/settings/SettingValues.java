package io.ferry.settings;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Settings resolved and checked: for each, the highest layer that gives it decides, else its default. */
public final class SettingValues {
    private final Map<Setting<?>, Object> values;

    private SettingValues(Map<Setting<?>, Object> values) {
        this.values = values;
    }

    /**
     * Resolves and checks every one of {@code settings}. A layer that gives a setting decides it even when it gives
     * blank text, which means the default.
     *
     * @param layers highest first
     * @throws SettingException for the first setting that fails its check
     */
    public static SettingValues resolve(Collection<Setting<?>> settings, List<Layer> layers) {
        Map<Setting<?>, Object> values = new HashMap<>();
        for (Setting<?> setting : settings) {
            Layer from = null;
            String text = null;
            for (Layer layer : layers) {
                text = layer.text(setting);
                if (text != null) {
                    from = layer;
                    break;
                }
            }
            text = text == null || text.isBlank() ? setting.defaultValue() : text.trim();
            if (text.isEmpty()) {
                continue;
            }
            try {
                values.put(setting, setting.check().parse(text));
            } catch (IllegalArgumentException e) {
                String where = from == null ? "the default of " + setting.key() : from.describe(setting);
                throw new SettingException(where + " '" + text + "' " + e.getMessage());
            }
        }
        return new SettingValues(values);
    }

    /** The setting's value; null when it is unset (empty, and so is its default). */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }

    /** A path setting made absolute: relative paths are relative to {@code home} (the installation), if given. */
    public Path path(Setting<Path> setting, Path home) {
        Path path = get(setting);
        if (path == null) {
            return null;
        }
        return (home == null ? path : home.resolve(path)).toAbsolutePath().normalize();
    }
}
