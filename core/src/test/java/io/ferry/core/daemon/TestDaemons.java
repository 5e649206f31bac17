package io.ferry.core.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;


/** A test host's daemon settings, without a framework: the defaults, the test's identity and state directory. */
public final class TestDaemons {
    private TestDaemons() {
    }

    public static DaemonSettings settings(Path stateDir) throws IOException {
        return DaemonSettings.resolve(Map.of("stateDir", stateDir.toString(), "hostname", "test",
                "hostUuid", "00000000-0000-4000-8000-0000000000ff"), null);
    }
}
