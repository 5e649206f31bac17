package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** Idle sim guests on daemons, seen and handled through {@code bin/ferry -c URI …} as an operator would. */
final class Guests {
    private Guests() {
    }

    /** Defines and starts an idle guest (its memory digest stays fixed) on {@code host}; returns that digest. */
    static String startIdle(DaemonProcess host, String name, int mib) throws Exception {
        String xml = "<domain type='sim'>\n  <name>" + name + "</name>\n  <uuid>"
                + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)) + "</uuid>\n"
                + "  <memory unit='MiB'>" + mib + "</memory>\n  <vcpu>1</vcpu>\n  <metadata>\n"
                + "    <sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='0'/>\n"
                + "  </metadata>\n</domain>\n";
        Path file = Files.writeString(Files.createTempFile(Installation.WORK, name, ".xml"), xml);
        ok(host, "define", file.toString());
        ok(host, "start", name);
        assertEquals("running", state(host, name));
        return digest(host, name);
    }

    static Installation.Result ferry(DaemonProcess host, String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "-c";
        all[1] = host.url();
        System.arraycopy(args, 0, all, 2, args.length);
        return Installation.ferry(all);
    }

    static Installation.Result ok(DaemonProcess host, String... args) throws Exception {
        Installation.Result result = ferry(host, args);
        assertEquals(host + ": ferry " + String.join(" ", args) + "\n" + result, 0, result.exit());
        return result;
    }

    /** A line of {@code ferry dominfo}, such as "State" or "Memory digest"; null if the host has no such domain. */
    static String info(DaemonProcess host, String name, String field) throws Exception {
        Installation.Result result = ferry(host, "dominfo", name);
        if (result.exit() != 0) {
            return null;
        }
        return result.out().lines().filter(line -> line.startsWith(field + ":"))
                .map(line -> line.substring(field.length() + 1).trim()).findFirst().orElse(null);
    }

    /** "running", "paused", "shut off"…, or null if the host has no such domain. */
    static String state(DaemonProcess host, String name) throws Exception {
        String state = info(host, name, "State");
        return state == null ? null : state.replaceFirst(" \\(.*\\)$", "");
    }

    static String digest(DaemonProcess host, String name) throws Exception {
        return info(host, name, "Memory digest");
    }

    /** Whether {@code ferry list --all} shows the domain. */
    static boolean listed(DaemonProcess host, String name) throws Exception {
        return ok(host, "list", "--all").out().lines().anyMatch(line -> line.matches(".*\\s" + name + "\\s.*"));
    }

    /** The guest runs on {@code runner}, with {@code digest} (unless null), and does not run on {@code other}. */
    static void assertRunsOnlyOn(DaemonProcess runner, DaemonProcess other, String name, String digest) throws Exception {
        assertEquals(name + " on " + runner, "running", state(runner, name));
        assertNotEquals(name + " on " + other, "running", state(other, name));
        assertNotEquals(name + " on " + other, "paused", state(other, name));
        if (digest != null) {
            assertEquals("memory digest of " + name + " on " + runner, digest, digest(runner, name));
        }
    }

    /** Waits until the domain on {@code host} is in {@code state} (null: gone). */
    static void awaitState(DaemonProcess host, String name, String state) throws Exception {
        Poll.until(name + " to be " + state + " on " + host + " (log: " + host.log + ")",
                () -> java.util.Objects.equals(state, state(host, name)));
    }
}
