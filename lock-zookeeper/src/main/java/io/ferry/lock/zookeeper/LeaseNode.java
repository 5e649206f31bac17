package io.ferry.lock.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;

/**
 * A lease node as read: its data (the disk's source, then {@code base=N} on a line of its own) and its data version.
 * The lease's state is N plus the version, in int arithmetic that wraps. ZooKeeper starts a node's version at 0, also
 * for a node deleted whole and made anew (an operator giving back a gone host's leases, zkCli {@code deleteall}), which
 * would bring back, after as many takes and give-backs, the states the deleted node gave out: a paused source
 * presenting one would take the lease as if nobody had used the disk. A node made here starts its states at a random
 * N instead, as a new lease file starts its generations. A node an earlier version made has no such line: N is 0, and
 * its states stay what they were.
 *
 * @param data the node's data as read, written back unchanged by every take and give-back (its base goes with it)
 */
record LeaseNode(byte[] data, int version, int base) {
    private static final Pattern BASE = Pattern.compile("\nbase=(-?\\d{1,10})$");
    private static final SecureRandom BASES = new SecureRandom();

    static LeaseNode read(CuratorFramework client, String node) throws Exception {
        Stat stat = new Stat();
        byte[] data = client.getData().storingStatIn(stat).forPath(node);
        return new LeaseNode(data, stat.getVersion(), base(data));
    }

    /** The data of a node made anew: the disk's source, and where its states start. */
    static byte[] newData(String resource) {
        return (resource + "\nbase=" + BASES.nextInt()).getBytes(StandardCharsets.UTF_8);
    }

    private static int base(byte[] data) {
        Matcher base = BASE.matcher(new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8));
        if (!base.find()) {
            return 0;
        }
        try {
            return Integer.parseInt(base.group(1));
        } catch (NumberFormatException e) {
            return 0; // not a base this manager wrote
        }
    }

    /** The lease's state now. */
    int state() {
        return stateAt(version);
    }

    /** The lease's state once the node's data version is {@code nodeVersion}. */
    int stateAt(int nodeVersion) {
        return base + nodeVersion;
    }
}
