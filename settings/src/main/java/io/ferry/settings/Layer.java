package io.ferry.settings;

import java.util.Map;

/** One place settings come from; a higher layer wins over a lower one, and all of them over the defaults. */
public interface Layer {
    /** The text this layer gives {@code setting}; null: none (a lower layer or the default decides). */
    String text(Setting<?> setting);

    /** How an error message names {@code setting} as this layer gives it ("--listen", "etc/io.ferry.daemon.cfg: listen"). */
    String describe(Setting<?> setting);

    /** ferryd's command line: what each flag was given. */
    static Layer flags(Map<Setting<?>, String> given) {
        return new Layer() {
            @Override
            public String text(Setting<?> setting) {
                return given.get(setting);
            }

            @Override
            public String describe(Setting<?> setting) {
                return setting.flag();
            }
        };
    }

    /**
     * A configuration's properties, keyed as in Config Admin: {@code etc/PID.cfg} as ferryd reads it, or the
     * properties the framework handed to a component.
     *
     * @param origin how messages name the configuration ("etc/io.ferry.daemon.cfg", "configuration io.ferry.daemon")
     */
    static Layer configuration(String pid, String origin, Map<String, ?> properties) {
        return new Layer() {
            @Override
            public String text(Setting<?> setting) {
                Object value = setting.pid().equals(pid) ? properties.get(setting.key()) : null;
                return value == null ? null : value.toString();
            }

            @Override
            public String describe(Setting<?> setting) {
                return origin + ": " + setting.key();
            }
        };
    }
}
