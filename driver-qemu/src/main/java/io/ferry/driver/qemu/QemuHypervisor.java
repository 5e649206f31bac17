package io.ferry.driver.qemu;

import io.ferry.api.host.HostSettings;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code <domain type='qemu'>}: QEMU guests under TCG. Settings in {@code etc/io.ferry.driver.qemu.cfg}; the OVSDB
 * is the network section's ({@code etc/io.ferry.plugin.ovs.cfg}, {@code ferryd --ovsdb}).
 */
@Component(service = Hypervisor.class, property = Hypervisor.TYPE + "=qemu",
        configurationPid = {"io.ferry.plugin.ovs", QemuHypervisor.PID}, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class QemuHypervisor extends QemuDriver {
    static final String PID = "io.ferry.driver.qemu";

    /** The driver's configuration. */
    public @interface Config {
        /** The QEMU binary of domains without {@code <emulator>}: a path, or a name looked up on PATH. */
        String emulator() default QemuSettings.DEFAULT_EMULATOR;

        /** The ports a destination listens on for a direct migration (libvirt's migration_port_min-max). */
        String migrationPorts() default QemuSettings.DEFAULT_PORTS;

        /**
         * A migration whose transferred bytes have not grown for this long is cancelled (ferryd --progress-timeout): 1
         * to 2147483647.
         */
        long progressTimeoutSeconds() default 30;

        /** How long destroy lets QEMU quit before it kills it: 1 to 86400000 (a day). */
        long quitTimeoutMillis() default 3000;

        /** The time limit of one QMP command: 1 to 86400000 (a day). */
        long commandTimeoutMillis() default 10_000;

        /** This host's OVSDB (shared with the network section); ferryd --ovsdb overrides it. */
        String ovsdb() default "";

        /**
         * Absolute directories, separated by commas, whose files count as shared storage whatever their file system's
         * type: a live migration of a guest with a writable disk elsewhere on a file system not known to be shared
         * (ext4, xfs…) is refused without --unsafe.
         */
        String sharedPaths() default "";

        /**
         * The user QEMU runs as once it has opened what its command line names (libvirt's qemu.conf user): blank, the
         * daemon's own user. Needs a daemon running as root, and a run directory that user can reach.
         */
        String user() default "";

        /**
         * How many times the memory available (MemAvailable) the arrivals under way may take, for a host that
         * overcommits its memory on purpose (KSM, guests mostly idle): a decimal ratio from 1, none, to 4.
         */
        String arrivalMemoryOvercommit() default "1.0";
    }

    /** Package-private: SCR injects it into {@link KvmHypervisor} too, which it cannot with a private field. */
    @Reference
    HostSettings host;

    public QemuHypervisor() {
        super("qemu", null);
    }

    QemuHypervisor(String type) {
        super(type, null);
    }

    @Activate
    @Modified
    void configure(Config config) throws HypervisorException {
        settings(settings(host, config));
        watchLogs();
    }

    static QemuSettings settings(HostSettings host, Config config) throws HypervisorException {
        int[] ports = QemuSettings.ports(config.migrationPorts());
        String ovsdb = config.ovsdb();
        long progressTimeout = QemuSettings.seconds(Long.toString(config.progressTimeoutSeconds()), "progress timeout");
        long quitTimeout = QemuSettings.millis(config.quitTimeoutMillis(), "quitTimeoutMillis");
        long commandTimeout = QemuSettings.millis(config.commandTimeoutMillis(), "commandTimeoutMillis");
        return new QemuSettings(config.emulator().isBlank() ? QemuSettings.DEFAULT_EMULATOR : config.emulator().trim(),
                ports[0], ports[1], progressTimeout * 1000, quitTimeout, commandTimeout,
                host.stateDir().resolve("qemu"), ovsdb == null || ovsdb.isBlank() ? null : ovsdb.trim(),
                QemuSettings.sharedPaths(config.sharedPaths()),
                config.user().isBlank() ? null : QemuUser.lookup(config.user().strip()),
                QemuSettings.overcommit(config.arrivalMemoryOvercommit()));
    }

    @Deactivate
    void deactivate() {
        detachAll();
        stopWatchingLogs();
    }
}
