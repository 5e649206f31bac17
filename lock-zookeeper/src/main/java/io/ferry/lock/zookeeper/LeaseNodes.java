package io.ferry.lock.zookeeper;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.HashSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The lease nodes of one ensemble. A lease is the node {@code ROOT/KEY}; its holder, the child {@code holder}:
 * {@code HOST|HOST-UUID|ATTEMPT|DOMAIN}. The node's data is the disk's source and, on a second line, {@code base=N}:
 * the lease's state is N plus the node's data version ({@link LeaseNode}), so a node deleted whole and made anew
 * (its version back at 0) gives out none of the states of the one before.
 * <p>
 * The holder is persistent, not ephemeral: an ephemeral holder vanishes with its daemon's session (the daemon
 * stopped, a partition longer than the session timeout) while the VM runs on, and another host could then start
 * it. A host gone for good keeps its leases until an operator deletes its holders. Every take and give-back of a
 * domain's leases is one transaction: all of them or, refused, nothing changed.
 */
final class LeaseNodes {
    private final CuratorFramework client;
    private final String root;
    /** This host's credentials, for a refusal's message. */
    private final String credentials;

    LeaseNodes(CuratorFramework client, String root, String credentials) {
        this.client = client;
        this.root = root;
        this.credentials = credentials;
    }

    /**
     * Takes every lease of the request; returns each resource's version once taken.
     *
     * @param expected the versions a release returned, by key (empty: take free leases)
     * @param attempt unique to this call: Curator repeats a transaction whose answer a lost connection swallowed, and
     *        the repeat fails; holders naming this attempt then show the first one committed
     */
    Map<String, Integer> take(LeaseRequest request, Map<String, Integer> expected, String attempt) throws LockException {
        List<String> resources = request.resources().stream().distinct().toList();
        byte[] me = String.join("|", request.owner(), request.ownerUuid().toString(), attempt, request.domainName())
                .getBytes(StandardCharsets.UTF_8);
        List<CuratorOp> ops = new ArrayList<>();
        Map<String, Integer> versions = new LinkedHashMap<>();
        Set<String> creating = new HashSet<>();
        boolean sent = false;
        try {
            Map<String, LeaseNode> read = new LinkedHashMap<>();
            for (String resource : resources) {
                String node = node(resource);
                createIfMissing(node, resource);
                LeaseNode lease = LeaseNode.read(client, node);
                read.put(resource, lease);
                Holder holder = holder(node);
                if (holder != null && !holder.holds(request)) {
                    throw new LockException("resource " + resource + " is held by " + holder.describe());
                }
                Integer want = expected.get(ZooKeeperLockManager.key(resource));
                // a take of this host's that went through unanswered (ZooKeeper out of reach, so unconfirmed) made its
                // holder and advanced the lease once, in one transaction: that is the take this one repeats
                boolean tookItUnanswered = holder != null && !holder.ephemeral() && want != null && lease.state() == want + 1;
                if (want != null && lease.state() != want && !tookItUnanswered) {
                    throw new LockException("lease of " + resource + " changed since it was released (version "
                            + lease.state() + ", expected " + want + "): another host used it meanwhile");
                }
                if (holder != null && !holder.ephemeral()) { // already ours (a restarted daemon, its VM still running)
                    ops.add(client.transactionOp().check().withVersion(holder.version()).forPath(node + "/holder"));
                    ops.add(client.transactionOp().check().withVersion(lease.version()).forPath(node));
                    versions.put(resource, lease.state());
                    continue;
                }
                if (holder != null) { // ours, from a version of Ferry whose holders were ephemeral
                    ops.add(client.transactionOp().delete().withVersion(holder.version()).forPath(node + "/holder"));
                }
                ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(node + "/holder", me));
                ops.add(client.transactionOp().setData().withVersion(lease.version()).forPath(node, lease.data()));
                creating.add(resource);
            }
            sent = true;
            statesSet(client.transaction().forOperations(ops), read, versions);
            return versions;
        } catch (LockException e) {
            throw e;
        } catch (KeeperException.NodeExistsException | KeeperException.BadVersionException | KeeperException.NoNodeException e) {
            Map<String, Integer> taken;
            try {
                taken = takenOnce(attempt, creating, resources);
            } catch (Exception unread) { // a repeat's failure: the first may have committed
                throw cannotTake(request, unread, sent);
            }
            if (taken != null) {
                return taken;
            }
            throw new LockException("the leases of domain " + request.domainName() + " changed while they were being"
                    + " taken (another host at the same moment): none was taken");
        } catch (Exception e) {
            throw cannotTake(request, e, sent && answerMayBeLost(e));
        }
    }

    /**
     * A take that failed as ZooKeeper could not be reached (a failure with a cause: the daemon owes what it may hold).
     *
     * @param mayHaveGone its transaction may have committed: only its answer may be what was lost
     */
    private LockException cannotTake(LeaseRequest request, Exception e, boolean mayHaveGone) {
        return new LockException("cannot take the leases of domain " + request.domainName() + " in ZooKeeper: "
                + reason(e) + (mayHaveGone ? "; they may have been taken" : "; none was taken"), e);
    }

    /**
     * Whether a transaction that failed so may have committed all the same: not ZooKeeper's own refusal of it (NoAuth,
     * a bad version), but a connection or session lost, or a failure of the client's, before its answer came.
     */
    private static boolean answerMayBeLost(Exception e) {
        if (!(e instanceof KeeperException refused)) {
            return true;
        }
        return switch (refused.code()) {
            case CONNECTIONLOSS, SESSIONEXPIRED, OPERATIONTIMEOUT, SESSIONMOVED, REQUESTTIMEOUT -> true;
            default -> false;
        };
    }

    /**
     * Gives back the request's leases that this host holds; returns each resource's version after. Repeated after a
     * give-back that went through but could not be confirmed (ZooKeeper out of reach), it hands on that one's versions.
     *
     * @param held the versions they were taken at: a lease whose holder an operator deleted is given back only if
     *        nobody took it since, so the state handed on still proves that nobody did
     */
    Map<String, Integer> giveBack(LeaseRequest request, Map<String, Integer> held) throws LockException {
        List<CuratorOp> ops = new ArrayList<>();
        Map<String, Integer> before = new LinkedHashMap<>();
        Map<String, Integer> after = new LinkedHashMap<>();
        try {
            Map<String, LeaseNode> read = new LinkedHashMap<>();
            for (String resource : held.keySet()) {
                String node = node(resource);
                LeaseNode lease = existing(node, resource);
                Holder holder = holder(node);
                if (holder == null && lease.state() == held.get(resource) + 1) {
                    // a give-back of this host's went through unanswered (ZooKeeper out of reach, so unconfirmed): its
                    // transaction is the only write that frees the lease and advances it once; nobody wrote since
                    after.put(resource, lease.state());
                    continue;
                }
                read.put(resource, lease);
                if (holder != null && holder.holds(request)) {
                    ops.add(client.transactionOp().delete().withVersion(holder.version()).forPath(node + "/holder"));
                } else if (holder != null || lease.state() != held.get(resource)) {
                    throw new LockException("lease of " + resource + " is no longer this host's ("
                            + (holder != null ? "held by " + holder.describe() : "used by another host since") + ")");
                }
                ops.add(client.transactionOp().setData().withVersion(lease.version()).forPath(node, lease.data()));
                before.put(resource, lease.state());
            }
            if (!ops.isEmpty()) {
                statesSet(client.transaction().forOperations(ops), read, after);
            }
            return after;
        } catch (LockException e) {
            throw e;
        } catch (Exception e) {
            Map<String, Integer> confirmed = givenBackOnce(request, before);
            if (confirmed != null) {
                after.putAll(confirmed);
                return after;
            }
            throw new LockException("cannot release the leases of domain " + request.domainName() + " in ZooKeeper: "
                    + reason(e), e);
        }
    }

    /** The first lease of the request held by another host or domain, as {@link #take} refuses it; reads only. */
    Optional<String> heldElsewhere(LeaseRequest request) throws LockException {
        try {
            for (String resource : request.resources().stream().distinct().toList()) {
                Holder holder = holder(node(resource)); // a node that does not exist has no holder
                if (holder != null && !holder.holds(request)) {
                    return Optional.of("resource " + resource + " is held by " + holder.describe());
                }
            }
            return Optional.empty();
        } catch (Exception e) {
            throw new LockException("cannot read the leases of domain " + request.domainName() + " in ZooKeeper: "
                    + reason(e), e);
        }
    }

    /** A lease node deleted whole (an operator's deleteall) holds nothing of this host's any more: a refusal. */
    private LeaseNode existing(String node, String resource) throws Exception {
        try {
            return LeaseNode.read(client, node);
        } catch (KeeperException.NoNodeException e) {
            throw new LockException("lease of " + resource + " is no longer this host's (its node " + node
                    + " was deleted)");
        }
    }

    /** A refusal of this host's credentials said as such: every host must share them, none may go without. */
    private String reason(Exception e) {
        if (e instanceof KeeperException.NoAuthException refused) {
            return "ZooKeeper refuses " + credentials + " for " + (refused.getPath() != null ? refused.getPath() : root)
                    + " (NoAuth): the lease nodes are writable only with the credentials Ferry's hosts share"
                    + " (authFile, ferryd --zookeeper-auth-file); every host needs the same";
        }
        return e.getMessage();
    }

    /** After a failed give-back: the versions if a first, swallowed transaction gave every lease back, else null. */
    private Map<String, Integer> givenBackOnce(LeaseRequest request, Map<String, Integer> before) {
        try {
            Map<String, Integer> after = currentVersions(before.keySet());
            for (Map.Entry<String, Integer> lease : before.entrySet()) {
                Holder holder = holder(node(lease.getKey()));
                if ((holder != null && holder.holds(request)) || after.get(lease.getKey()) != lease.getValue() + 1) {
                    return null;
                }
            }
            return before.isEmpty() ? null : after;
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * After a failed take: the versions if a first, swallowed transaction of this attempt took them, else null.
     *
     * @throws Exception the holders cannot be read: whether it took them is not known
     */
    private Map<String, Integer> takenOnce(String attempt, Set<String> creating, List<String> resources)
            throws Exception {
        for (String resource : creating) {
            Holder holder = holder(node(resource));
            if (holder == null || !holder.attempt().equals(attempt)) {
                return null;
            }
        }
        return creating.isEmpty() ? null : currentVersions(resources);
    }

    private Map<String, Integer> currentVersions(Iterable<String> resources) throws Exception {
        Map<String, Integer> versions = new LinkedHashMap<>();
        for (String resource : resources) {
            versions.put(resource, LeaseNode.read(client, node(resource)).state());
        }
        return versions;
    }

    /** Puts into {@code into} the state of each lease the transaction changed, by resource. */
    private void statesSet(List<CuratorTransactionResult> results, Map<String, LeaseNode> read, Map<String, Integer> into) {
        Map<String, Integer> set = new LinkedHashMap<>();
        for (CuratorTransactionResult result : results) {
            if (result.getType() == OperationType.SET_DATA) {
                set.put(result.getForPath(), result.getResultStat().getVersion());
            }
        }
        read.forEach((resource, lease) -> {
            Integer version = set.get(node(resource));
            if (version != null) {
                into.put(resource, lease.stateAt(version));
            }
        });
    }

    private void createIfMissing(String node, String resource) throws Exception {
        if (client.checkExists().forPath(node) == null) {
            try {
                client.create().creatingParentsIfNeeded().forPath(node, LeaseNode.newData(resource));
            } catch (KeeperException.NodeExistsException raced) {
                // another host created it first: fine
            }
        }
    }

    private Holder holder(String node) throws Exception {
        Stat stat = new Stat();
        try {
            String text = new String(client.getData().storingStatIn(stat).forPath(node + "/holder"), StandardCharsets.UTF_8);
            boolean ephemeral = stat.getEphemeralOwner() != 0;
            // an earlier version's holders were ephemeral and named no attempt: HOST|HOST-UUID|DOMAIN
            List<String> parts = new ArrayList<>(List.of(text.split("\\|", ephemeral ? 3 : 4)));
            if (ephemeral) {
                parts.add(2, "");
            }
            while (parts.size() < 4) {
                parts.add("?");
            }
            return new Holder(parts.get(0), parts.get(1), parts.get(3), parts.get(2), stat.getVersion(), ephemeral);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    String node(String resource) {
        return root + "/" + ZooKeeperLockManager.key(resource);
    }

    /** A lease's holder: one domain of one host (another domain of the same host on the disk is another writer). */
    private record Holder(String host, String hostUuid, String domain, String attempt, int version, boolean ephemeral) {
        boolean holds(LeaseRequest request) {
            return hostUuid.equals(request.ownerUuid().toString()) && domain.equals(request.domainName());
        }

        String describe() {
            return host + " (" + hostUuid + ") for domain " + domain;
        }
    }
}
