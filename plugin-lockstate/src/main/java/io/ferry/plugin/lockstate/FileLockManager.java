package io.ferry.plugin.lockstate;

import io.ferry.api.host.HostSettings;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

/**
 * The embedded lock manager, like libvirt's lockd: a lease per disk in a directory every host shares
 * ({@code leaseDir}, {@code ferryd --lease-dir}). A lease's state is its generation, which every acquire and
 * release advances: presenting the generation a release returned proves nobody used the disk in between.
 */
@Component(service = LockManager.class, property = LockManager.NAME + "=file",
        configurationPid = "io.ferry.plugin.lockstate", configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class FileLockManager implements LockManager {
    /** The configuration of the file lock manager. */
    public @interface Config {
        /** The shared lease directory (ferryd --lease-dir); relative to the installation. Empty: var/leases of the installation. */
        String leaseDir() default "";
    }

    private final Path directory;

    @Activate
    public FileLockManager(@Reference HostSettings host, Config config) throws IOException {
        this.directory = Files.createDirectories(host.resolve(config.leaseDir().isBlank() ? "var/leases" : config.leaseDir().trim()));
    }

    @Override
    public boolean usesState() {
        return true;
    }

    @Override
    public Lease acquire(LeaseRequest request, String state) throws LockException {
        Map<String, Long> expected = state == null ? Map.of() : parse(state);
        Map<String, Long> generations = new LinkedHashMap<>();
        List<String> taken = new ArrayList<>();
        try {
            for (String resource : request.resources()) {
                generations.put(resource, take(request, resource, expected.get(key(resource))));
                taken.add(resource);
            }
        } catch (LockException | RuntimeException e) {
            // unchecked too (another thread of this daemon locking the same lease file): a lease taken and not given
            // back would stay this host's with no Lease to release it
            for (String resource : taken) {
                giveBack(request, resource);
            }
            throw e instanceof LockException lock ? lock : new LockException("cannot take the leases of domain "
                    + request.domainName() + ": " + e, e);
        }
        return new FileLease(this, request, generations);
    }

    private long take(LeaseRequest request, String resource, Long expectedGeneration) throws LockException {
        Path file = file(resource);
        try (FileChannel channel = open(file); FileLock lock = channel.lock()) {
            LeaseFile lease = LeaseFile.read(channel, file, resource);
            // this host's for this domain: another domain of this host on the same disk is another writer, as lockd has it
            boolean mine = lease.ownerUuid().equals(request.ownerUuid().toString()) && lease.domain().equals(request.domainName());
            if (lease.held() && !mine) {
                throw new LockException("resource " + resource + " is held by " + lease.owner() + " (" + lease.ownerUuid()
                        + ") for domain " + lease.domain());
            }
            if (expectedGeneration != null && lease.generation() != expectedGeneration) {
                throw new LockException("lease of " + resource + " changed since it was released (generation "
                        + lease.generation() + ", expected " + expectedGeneration + "): another host used it meanwhile");
            }
            if (lease.held()) {
                return lease.generation(); // already ours (a restarted daemon taking its running VM's leases again)
            }
            LeaseFile taken = new LeaseFile(resource, true, request.owner(), request.ownerUuid().toString(),
                    request.domainName(), lease.generation() + 1);
            taken.write(channel);
            channel.force(true); // a host that took a lease keeps it through a power cut
            return taken.generation();
        } catch (IOException e) {
            throw new LockException("cannot take the lease of " + resource + " in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Releases one lease of ours; returns its new generation. */
    long giveBack(LeaseRequest request, String resource) throws LockException {
        Path file = file(resource);
        try (FileChannel channel = open(file); FileLock lock = channel.lock()) {
            LeaseFile lease = LeaseFile.read(channel, file, resource);
            if (!lease.held() || !lease.ownerUuid().equals(request.ownerUuid().toString())) {
                return lease.generation();
            }
            LeaseFile released = new LeaseFile(resource, false, "", "", "", lease.generation() + 1);
            released.write(channel); // not forced: lost in a power cut, the lease stays with the host that lost power
            return released.generation();
        } catch (IOException e) {
            throw new LockException("cannot release the lease of " + resource + ": " + e.getMessage(), e);
        }
    }

    private Path file(String resource) {
        return directory.resolve(key(resource) + ".lease");
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    static String key(String resource) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(resource.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** State text: {@code KEY:GENERATION} per resource, comma-separated. */
    static String format(Map<String, Long> generations) {
        StringBuilder state = new StringBuilder();
        generations.forEach((resource, generation) -> state.append(state.length() == 0 ? "" : ",")
                .append(key(resource)).append(':').append(generation));
        return state.toString();
    }

    static Map<String, Long> parse(String state) throws LockException {
        Map<String, Long> generations = new LinkedHashMap<>();
        if (state.isBlank()) {
            return generations;
        }
        for (String item : state.split(",")) {
            int colon = item.indexOf(':');
            try {
                generations.put(item.substring(0, colon), Long.parseLong(item.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new LockException("malformed lease state '" + state + "'");
            }
        }
        return generations;
    }
}
