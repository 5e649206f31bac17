package io.ferry.api.hypervisor;

import java.util.List;
import java.util.UUID;

/**
 * A domain definition as the core parsed it from libvirt's domain XML: what drivers and sections need, plus
 * the whole definition for anything else.
 *
 * @param type the {@code <domain type='…'>}, which selects the driver
 * @param memoryKiB {@code <memory>} in KiB
 * @param xml the whole definition, as defined
 */
public record DomainSpec(String name, UUID uuid, String type, long memoryKiB, int vcpus, List<Disk> disks,
        List<Nic> nics, List<Graphics> graphics, String xml) {

    public DomainSpec {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
        graphics = List.copyOf(graphics);
    }

    /**
     * A {@code <disk>}: its {@code <source file|dev>} and {@code <target dev>}.
     *
     * @param readOnly it has {@code <readonly/>}: the guest never writes it, so it holds no lease (as libvirt's lock
     *        managers take none for a read-only disk), and guests on any hosts may share it (since 1.9)
     * @param format its {@code <driver type>} (raw, qcow2), or null when it names none (since 1.9)
     */
    public record Disk(String source, String target, boolean readOnly, String format) {
        /** A disk the guest may write, of no format named. */
        public Disk(String source, String target) {
            this(source, target, false, null);
        }
    }

    /**
     * An {@code <interface>}, by its position among the domain's interfaces.
     *
     * @param bridge the {@code <source bridge>}, or null
     * @param virtualPortType the {@code <virtualport type>}, or null
     * @param target the {@code <target dev>} (host-side interface name), or null
     */
    public record Nic(int index, String type, String mac, String bridge, String virtualPortType, String target) {
        /**
         * The host-side interface name: {@code <target dev>}, else one made from the domain's UUID and the NIC's
         * index (at most 15 characters, the kernel's limit), the same on every host.
         */
        public String hostInterface(UUID domain) {
            return target != null ? target : "fe" + domain.toString().substring(0, 8) + "n" + index;
        }
    }

    /**
     * A {@code <graphics>}.
     *
     * @param port the configured port, -1 with autoport
     */
    public record Graphics(String type, int port, String listen) {
    }
}
