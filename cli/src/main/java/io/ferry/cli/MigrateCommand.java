package io.ferry.cli;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DaemonMessages.Migrated;
import io.ferry.protocol.DaemonMessages.Version;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code ferry migrate [--live] [--p2p] [--tunnelled] [--offline] [--persistent] [--undefinesource] [--unsafe] [--dname N]
 * [--xml FILE] [--persistent-xml FILE] [--bandwidth MiB] [--verbose] [--show-cookies] [--suspend]
 * [--timeout SECONDS [--timeout-suspend]] NAME DESTURI}. Without {@code --p2p} this command drives
 * the five phases against both daemons itself; with it, the source daemon does. {@code --show-cookies} prints each
 * phase with the cookie it baked: as they run without {@code --p2p}, from the source daemon's reply with it (which a
 * failed migration does not send). Ctrl-C aborts the migration, as in virsh, this command's only ({@link AbortOnInterrupt});
 * {@code --verbose} shows its progress, and no other migration's of the domain ({@link Progress}); {@code --timeout}
 * suspends the domain once it ran that long, while this command's migration is under way ({@link TimeoutSuspend}).
 */
final class MigrateCommand implements Command {
    private static final Set<String> FLAGS = Set.of("--live", "--p2p", "--tunnelled", "--offline", "--persistent",
            "--undefinesource", "--unsafe", "--verbose", "--v2", "--show-cookies", "--suspend", "--timeout-suspend");

    @Override
    public String synopsis() {
        return "migrate [--live] [--p2p] [--tunnelled] [--offline] [--persistent] [--undefinesource] [--dname N]\n"
                + "          [--xml FILE] [--bandwidth MiB] [--verbose] NAME DESTURI   migrate a domain to another host\n"
                + "          [--persistent-xml FILE]   with --persistent: the definition the destination keeps (default: the\n"
                + "                        domain's stored one, or --xml's)\n"
                + "          [--unsafe]   even with a writable disk on storage the hosts may not share (a local file system)\n"
                + "          [--show-cookies]   print each phase with the cookie it baked\n"
                + "          [--suspend]   do not resume the domain on the destination: it arrives paused (as one paused here does)\n"
                + "          [--timeout SECONDS [--timeout-suspend]]   with --live: suspend the domain here once the migration has\n"
                + "                        run that long, so that it converges (it resumes on the destination if it ran here)";
    }

    @Override
    public int run(Session session, List<String> arguments, PrintStream out) throws CliException {
        Args args = new Args(arguments, Set.of("--dname", "--xml", "--persistent-xml", "--bandwidth", "--timeout"), FLAGS);
        List<String> positionals = args.positionals(2, "NAME DESTURI");
        MigrationFlags flags = new MigrationFlags(args.has("--live"), args.has("--p2p"), args.has("--tunnelled"),
                args.has("--offline"), args.has("--persistent"), args.has("--undefinesource"), args.has("--v2"),
                args.has("--unsafe"), args.has("--suspend"));
        if (flags.tunnelled() && !flags.p2p()) {
            throw new CliException("migrate: --tunnelled requires --p2p");
        }
        long timeout = args.has("--timeout") ? parseTimeout(args.required("--timeout")) : 0;
        // virsh's words (cmdMigrate): a timeout suspends a guest whose live migration does not converge
        if (timeout > 0 && (!flags.live() || flags.offline())) {
            throw new CliException("migrate: Unexpected timeout for offline migration");
        }
        if (args.has("--timeout-suspend") && timeout == 0) {
            throw new CliException("migrate: Unexpected --timeout-* option without --timeout");
        }
        if (args.has("--persistent-xml") && !flags.persistent()) {
            throw new CliException("migrate: --persistent-xml requires --persistent");
        }
        String xml = definition(args, "--xml");
        String persistentXml = definition(args, "--persistent-xml");
        long bandwidth = args.has("--bandwidth") ? parseBandwidth(args.required("--bandwidth")) : 0;
        // the command names its migration itself: its Ctrl-C aborts, and --verbose shows, that one and no other of the domain
        Messages.Migrate request = new Messages.Migrate(positionals.get(0), positionals.get(1), flags, args.option("--dname"),
                xml, persistentXml, bandwidth, UUID.randomUUID().toString());
        DaemonChannel source = session.daemon();
        if (persistentXml != null) {
            requireTaken(source, Version.PERSISTENT_XML);
        }
        try (AbortOnInterrupt interrupt = AbortOnInterrupt.install(source, request.domain(), request.id(), System.err);
                Progress progress = args.has("--verbose") ? Progress.start(source, request.domain(), request.id()) : null;
                TimeoutSuspend timer = timeout > 0 ? TimeoutSuspend.start(source, request.domain(), request.id(), timeout,
                        progress == null ? line -> { } : progress::note) : null) {
            boolean showCookies = args.has("--show-cookies");
            MigrationDriver.Listener listener = new MigrateListener(showCookies ? new CookieTranscript(out) : null,
                    progress == null ? System.err::println : progress::line);
            if (flags.p2p()) {
                Migrated migrated = p2p(source, request, showCookies);
                migrated.steps().forEach(step -> listener.step(step.phase(), step.host(), step.cookie()));
                migrated.warnings().forEach(listener::warning);
            } else {
                DaemonChannel destination = new DaemonChannel(Cli.call(() -> new io.ferry.protocol.ControlClient(request.destUri())));
                Cli.call(() -> new MigrationDriver(listener).run(new HttpPeer(source.client()), new HttpPeer(destination.client()),
                        request));
            }
            if (progress != null) {
                progress.done();
            }
        }
        return 0;
    }

    /**
     * A source daemon from before a request option reads the request as if it were not there (the destination would keep
     * the definition the guest runs for --persistent-xml's): refused before anything begins.
     */
    private static void requireTaken(DaemonChannel source, String option) throws CliException {
        Version version = source.call(DaemonClient::version);
        if (!version.options().contains(option)) {
            throw new CliException("migrate: the source daemon " + source.uri() + " (Ferry " + TerminalText.line(version.ferry())
                    + ") does not take --" + option + ": it would migrate the domain as if it had not been given; update that"
                    + " daemon first");
        }
    }

    /** A peer-to-peer migration, which the source daemon drives; its cookies come only with its reply. */
    private static Migrated p2p(DaemonChannel source, Messages.Migrate request, boolean showCookies) throws CliException {
        try {
            // a source daemon from before the flag paused refuses --suspend by the flag's bare name
            return source.call(d -> {
                try {
                    return d.migrate(request);
                } catch (ChannelException e) {
                    throw MigrationDriver.withoutPaused(e, "source", source.uri(), request.domain(), false);
                }
            });
        } catch (CliException e) {
            if (!showCookies) {
                throw e;
            }
            throw new CliException(e.getMessage() + " (no cookies to show: with --p2p the source daemon drives the migration"
                    + " and hands its cookies over only when it completes; migrate without --p2p to see them up to a failure)", e);
        }
    }

    /** The definition file an option names, or null without the option. */
    private static String definition(Args args, String option) throws CliException {
        return args.has(option)
                ? new String(CookieFiles.read(args.required(option), "a domain definition"), StandardCharsets.UTF_8) : null;
    }

    private static long parseTimeout(String value) throws CliException {
        try {
            long seconds = Long.parseLong(value);
            if (seconds < 1 || seconds > Integer.MAX_VALUE / 1000) {
                throw new NumberFormatException();
            }
            return seconds;
        } catch (NumberFormatException e) {
            throw new CliException("invalid timeout '" + value + "' (seconds, at least 1)");
        }
    }

    private static long parseBandwidth(String value) throws CliException {
        try {
            long mib = Long.parseLong(value);
            if (mib < 0 || mib > Messages.Begin.MAX_BANDWIDTH_MIB) {
                throw new NumberFormatException();
            }
            return mib;
        } catch (NumberFormatException e) {
            throw new CliException("invalid bandwidth '" + value + "' (MiB/s, 0 for no cap, at most "
                    + Messages.Begin.MAX_BANDWIDTH_MIB + ")");
        }
    }
}
