package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.rules.ExternalResource;

/**
 * Two real {@code ferryd} processes of the installation, a source and a destination, for a test class
 * ({@code @ClassRule}); tests give their domains names of their own. Also the placement check every migration
 * test ends with: the domain runs on exactly one host, with the memory it had.
 */
final class TwoHosts extends ExternalResource {
    private final String[] sourceFlags;
    private final Map<String, String> destinationEnv;
    private final String[] destinationFlags;
    DaemonProcess source;
    DaemonProcess destination;

    TwoHosts(String[] sourceFlags, Map<String, String> destinationEnv, String[] destinationFlags) {
        this.sourceFlags = sourceFlags;
        this.destinationEnv = destinationEnv;
        this.destinationFlags = destinationFlags;
    }

    /** Two daemons as shipped. */
    static TwoHosts standard() {
        return new TwoHosts(new String[0], Map.of(), new String[0]);
    }

    /** The source daemon started with extra {@code ferryd} flags. */
    static TwoHosts withSourceFlags(String... flags) {
        return new TwoHosts(flags, Map.of(), new String[0]);
    }

    /** The destination daemon started with extra environment and {@code ferryd} flags. */
    static TwoHosts withDestination(Map<String, String> env, String... flags) {
        return new TwoHosts(new String[0], env, flags);
    }

    @Override
    protected void before() throws Throwable {
        source = DaemonProcess.start("source", sourceFlags);
        destination = DaemonProcess.start("destination", destinationEnv, destinationFlags);
        source.url(); // both boot at once; wait for each
        destination.url();
    }

    @Override
    protected void after() {
        for (DaemonProcess daemon : new DaemonProcess[] {destination, source}) {
            try {
                if (daemon != null) {
                    daemon.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code ferry -c SOURCE migrate FLAGS… NAME DESTINATION}. */
    Installation.Result migrate(String domain, String... flags) throws Exception {
        return source.ferry(migrateArgs(destination, domain, flags));
    }

    /** {@link #migrate}, which must exit 0. */
    Installation.Result migrateOk(String domain, String... flags) throws Exception {
        return migrateOk(source, domain, flags);
    }

    /** {@code ferry -c FROM migrate FLAGS… NAME OTHER}, which must exit 0: either way between the two. */
    Installation.Result migrateOk(DaemonProcess from, String domain, String... flags) throws Exception {
        return from.ferryOk(migrateArgs(other(from), domain, flags));
    }

    /** {@link #migrate}, left running. */
    Installation.Running migrateInBackground(String domain, String... flags) throws Exception {
        return source.ferryInBackground(migrateArgs(destination, domain, flags));
    }

    private static String[] migrateArgs(DaemonProcess to, String domain, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("migrate"));
        args.addAll(List.of(flags));
        args.add(domain);
        args.add(to.url());
        return args.toArray(String[]::new);
    }

    /** The host that is not {@code host}. */
    DaemonProcess other(DaemonProcess host) {
        return host == source ? destination : source;
    }

    /** {@code domain} runs on {@code host} and has no live copy on the other one ({@link Placement#assertRunsOnlyOn}). */
    void assertRunsOnlyOn(DaemonProcess host, String domain, String digest) throws Exception {
        Placement.assertRunsOnlyOn(host, other(host), domain, digest);
    }
}
