package io.ferry.core.migration;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.DomainXml;
import java.util.Objects;

/**
 * libvirt's rule for a caller-supplied destination definition ({@code migrate --xml}): it may change what the
 * guest cannot see (name, host-side sources), never its ABI: machine type, memory size, vCPUs, devices.
 */
final class AbiCheck {
    private AbiCheck() {
    }

    /** @param xml reads each definition's machine type, which the guest sees as its chipset and firmware tables */
    static void require(DomainSpec source, DomainSpec target, DomainXml xml) throws MigrationException {
        if (!source.uuid().equals(target.uuid())) {
            throw refused("domain uuid " + target.uuid(), source.uuid().toString());
        }
        if (!source.type().equals(target.type())) {
            throw refused("domain type " + target.type(), source.type());
        }
        String sourceMachine = machine(source, xml);
        String targetMachine = machine(target, xml);
        if (!Objects.equals(sourceMachine, targetMachine)) { // the source's, with any alias resolved (DomainXml#running)
            throw refused("domain machine type " + (targetMachine == null ? "none" : targetMachine),
                    sourceMachine == null ? "none" : sourceMachine);
        }
        if (source.memoryKiB() != target.memoryKiB()) {
            throw refused("memory size " + target.memoryKiB() + " KiB", source.memoryKiB() + " KiB");
        }
        if (source.vcpus() != target.vcpus()) {
            throw refused("vCPU count " + target.vcpus(), Integer.toString(source.vcpus()));
        }
        if (source.disks().size() != target.disks().size()) {
            throw refused("disk count " + target.disks().size(), Integer.toString(source.disks().size()));
        }
        for (int i = 0; i < source.disks().size(); i++) {
            String s = source.disks().get(i).target();
            String t = target.disks().get(i).target();
            if (s == null ? t != null : !s.equals(t)) {
                throw refused("disk target " + t, s);
            }
            boolean readOnly = source.disks().get(i).readOnly();
            if (target.disks().get(i).readOnly() != readOnly) { // and a disk made read-only would hold no lease there
                throw refused("disk " + t + " access mode " + access(!readOnly), access(readOnly));
            }
            // the same file read as another format: a qcow2 image read as raw shows the guest its container, and the
            // guest's writes destroy it
            String sourceFormat = format(source.disks().get(i));
            String targetFormat = format(target.disks().get(i));
            if (!sourceFormat.equals(targetFormat)) {
                throw refused("disk " + t + " format " + targetFormat, sourceFormat);
            }
        }
        if (source.nics().size() != target.nics().size()) {
            throw refused("interface count " + target.nics().size(), Integer.toString(source.nics().size()));
        }
        for (int i = 0; i < source.nics().size(); i++) {
            String s = source.nics().get(i).mac();
            String t = target.nics().get(i).mac();
            if (s == null ? t != null : !s.equalsIgnoreCase(t)) { // a MAC QEMU would make up is a MAC too
                throw refused("interface MAC " + (t == null ? "none" : t), s == null ? "none" : s);
            }
        }
        if (source.graphics().size() != target.graphics().size()) {
            throw refused("graphics device count " + target.graphics().size(), Integer.toString(source.graphics().size()));
        }
    }

    /** A disk's format; one that names none is raw, as libvirt's default without format probing. */
    private static String format(DomainSpec.Disk disk) {
        return disk.format() == null ? "raw" : disk.format();
    }

    private static String access(boolean readOnly) {
        return readOnly ? "read-only" : "read-write";
    }

    private static String machine(DomainSpec spec, DomainXml xml) throws MigrationException {
        try {
            return xml.machine(spec);
        } catch (CookieException e) {
            throw new MigrationException("the definition of domain '" + spec.name() + "' cannot be read: " + e.getMessage(), e);
        }
    }

    private static MigrationException refused(String target, String source) {
        return new MigrationException("unsupported configuration: Target " + target + " does not match source " + source
                + " (migrate --xml may not change the guest ABI)");
    }
}
