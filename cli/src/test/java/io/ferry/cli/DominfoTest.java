package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;

/**
 * virsh's {@code dominfo NAME}, with Ferry's lines after virsh's: the migration a domain takes part in, its memory's
 * digest, and why its files cannot be read, each only when the daemon reports it.
 */
public class DominfoTest {
    private static final String MIGRATION = "6f1c0a52-7d4e-4b8e-9a51-0c3d2e1f4a5b";

    @Rule
    public final FakeDaemon daemon = new FakeDaemon()
            .answer("/v1/domains/moving", 200, "<domain name='moving' uuid='8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f10' state='running'"
                    + " reason='booted' persistent='yes' type='sim' memory='65536' vcpus='2' migration='" + MIGRATION + "'"
                    + " digest='sha256:00ff'/>")
            .answer("/v1/domains/plain", 200, "<domain name='plain' uuid='8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f11' state='shut off'"
                    + " reason='defined' persistent='yes' type='qemu' memory='32768' vcpus='1'/>")
            .answer("/v1/domains/broken", 200, "<domain name='broken' state='shut off' reason='unknown' persistent='yes'"
                    + " problem='cannot read broken.status: malformed domain status'/>");

    @Test
    public void aMigratingDomainShowsItsMigrationAndDigest() {
        assertEquals(new CliRun(0, "Name:           moving\n"
                + "UUID:           8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f10\n"
                + "OS Type:        sim\n"
                + "State:          running (booted)\n"
                + "CPU(s):         2\n"
                + "Max memory:     65536 KiB\n"
                + "Persistent:     yes\n"
                + "Migration:      " + MIGRATION + "\n"
                + "Memory digest:  sha256:00ff\n", ""), CliRun.ferry("-c", daemon.uri(), "dominfo", "moving"));
    }

    @Test
    public void aDomainWithNoneShowsVirshsLinesOnly() {
        assertEquals(new CliRun(0, "Name:           plain\n"
                + "UUID:           8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f11\n"
                + "OS Type:        qemu\n"
                + "State:          shut off (defined)\n"
                + "CPU(s):         1\n"
                + "Max memory:     32768 KiB\n"
                + "Persistent:     yes\n", ""), CliRun.ferry("-c", daemon.uri(), "dominfo", "plain"));
    }

    @Test
    public void aDomainWhoseFilesCannotBeReadSaysWhy() {
        assertEquals(new CliRun(0, "Name:           broken\n"
                + "UUID:           -\n"
                + "OS Type:        -\n"
                + "State:          shut off (unknown)\n"
                + "CPU(s):         -\n"
                + "Max memory:     -\n"
                + "Persistent:     yes\n"
                + "Problem:        cannot read broken.status: malformed domain status\n", ""),
                CliRun.ferry("-c", daemon.uri(), "dominfo", "broken"));
    }
}
