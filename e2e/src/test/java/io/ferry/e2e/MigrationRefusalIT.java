package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Migrations that must not happen: a destination definition that changes the guest ABI ({@code --xml}), a
 * destination whose hook script says no. The domain goes on running on the source, its memory untouched.
 */
public class MigrationRefusalIT {
    /** The destination's hook refuses the domain this variable names; the source's has no such variable. */
    private static final String REFUSE = "FERRY_E2E_HOOK_REFUSES";

    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.withDestination(Map.of(REFUSE, "refused-vm"));

    @Test
    public void destinationXmlThatChangesTheMemorySizeIsRefused() throws Exception {
        SimDomain vm = SimDomain.idle("abi-vm", 16);
        String digest = HOSTS.source.boot(vm);
        Path bigger = vm.withMemoryMiB(32).file();

        Installation.Result result = HOSTS.migrate(vm.name(), "--live", "--xml", bigger.toString());

        assertEquals(result.toString(), 1, result.exit());
        assertTrue(result.err(), result.err().startsWith("error: ") && result.err().contains("unsupported configuration"));
        assertEquals(result.err(), 1, result.err().lines().count());
        assertEquals("running (booted)", HOSTS.source.dominfo(vm.name()).get("State"));
        assertEquals(Optional.empty(), HOSTS.destination.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
    }

    @Test
    public void destinationXmlMayRenameTheDomain() throws Exception {
        SimDomain vm = SimDomain.idle("xml-named-vm", 16);
        String digest = HOSTS.source.boot(vm);
        Path renamed = vm.withName("xml-renamed-vm").file();

        HOSTS.migrateOk(vm.name(), "--live", "--xml", renamed.toString());

        assertEquals(vm.uuid().toString(), HOSTS.destination.dominfo("xml-renamed-vm").get("UUID"));
        assertEquals(Optional.empty(), HOSTS.destination.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, "xml-renamed-vm", digest);
    }

    @Test
    public void aDestinationHookThatRefusesStopsTheMigration() throws Exception {
        SimDomain refused = SimDomain.idle("refused-vm", 16);
        SimDomain welcome = SimDomain.idle("welcome-vm", 16);
        String refusedDigest = HOSTS.source.boot(refused);
        String welcomeDigest = HOSTS.source.boot(welcome);
        try (HookScript hook = HookScript.install("""
                cat > /dev/null
                if [ "$2 $3" = "migrate begin" ] && [ -n "$%s" ] && [ "$1" = "$%s" ]; then
                  echo "site policy: $1 stays where it is" >&2
                  exit 1
                fi
                exit 0
                """.formatted(REFUSE, REFUSE))) {
            Installation.Result result = HOSTS.migrate(refused.name(), "--live");

            assertEquals(result.toString(), 1, result.exit());
            assertTrue(result.err(), result.err().startsWith("error: ")
                    && result.err().contains("site policy: refused-vm stays where it is"));
            assertEquals(result.err(), 1, result.err().lines().count());
            assertEquals(Optional.empty(), HOSTS.destination.listedState(refused.name()));
            HOSTS.assertRunsOnlyOn(HOSTS.source, refused.name(), refusedDigest);

            HOSTS.migrateOk(welcome.name(), "--live", "--p2p");
            HOSTS.assertRunsOnlyOn(HOSTS.destination, welcome.name(), welcomeDigest);
        }
    }
}
