package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.DomainSpec;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The migration job sends the control's bandwidth cap and downtime limit ({@code migrate-set-parameters}) before
 * {@code migrate}, and again only when the operator changes one ({@code ferry migrate-setspeed}) while it runs: not
 * at each of its polls. The QEMU is a stand-in monitor whose migration moves 1,000 bytes a poll, then completes.
 */
public class OutgoingParametersTest {
    private static final int POLLS = 6;
    private static final long NEW_BANDWIDTH = 1L << 20;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void theParametersAreSentAgainOnlyWhenTheOperatorChangesThem() throws Exception {
        Guests.Control control = new Guests.Control();
        control.when(stats -> stats.processed() >= 3_000, () -> control.bandwidth = NEW_BANDWIDTH);

        assertEquals("migrate-set-parameters sent (max-bandwidth downtime-limit)",
                List.of(Long.MAX_VALUE + " 300", NEW_BANDWIDTH + " 300"), parametersSentMigrating(control));
    }

    /** Each {@code migrate-set-parameters} a migration to a stand-in QEMU sent, as "max-bandwidth downtime-limit". */
    private List<String> parametersSentMigrating(Guests.Control control) throws Exception {
        DomainSpec spec = Guests.spec("parameters", 32, "0");
        RunFiles files = Guests.preparedRunFiles(tmp.newFolder().toPath());
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        Queue<String> parameters = new ConcurrentLinkedQueue<>();
        int[] polls = {0};
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            String value = switch (FakeQmp.command(command)) {
                case "query-status" -> "{\"status\": \"running\", \"running\": true}";
                case "query-migrate" -> ++polls[0] < POLLS
                        ? "{\"status\": \"active\", \"ram\": {\"transferred\": " + polls[0] * 1_000 + "}}"
                        : "{\"status\": \"completed\", \"ram\": {\"transferred\": " + POLLS * 1_000 + "}}";
                default -> "{}";
            };
            if (FakeQmp.command(command).equals("migrate-set-parameters")) {
                JsonNode arguments = FakeQmp.json(command).path("arguments");
                parameters.add(arguments.path("max-bandwidth").asLong() + " " + arguments.path("downtime-limit").asLong());
            }
            FakeQmp.write(out, "{\"return\": " + value + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp,
                    Guests.settings(tmp.newFolder().toPath()), () -> { });
            vm.sendMemory("tcp:127.0.0.1:1", control);
            assertEquals("query-migrate polls", POLLS, polls[0]);
            return List.copyOf(parameters);
        } finally {
            process.kill();
        }
    }
}
