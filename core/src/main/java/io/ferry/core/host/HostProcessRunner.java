package io.ferry.core.host;

import io.ferry.api.host.ProcessRunner;
import io.ferry.process.BoundedProcessRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/** The daemon's one process runner (hooks, ovs-vsctl): its pipe threads are the core's, and stop with it. */
@Component(service = ProcessRunner.class)
public class HostProcessRunner implements ProcessRunner {
    private final BoundedProcessRunner runner = new BoundedProcessRunner();

    @Override
    public Result run(String label, List<String> command, byte[] stdin, Duration limit) throws IOException {
        return runner.run(label, command, stdin, limit);
    }

    @Deactivate
    void deactivate() {
        runner.close();
    }
}
