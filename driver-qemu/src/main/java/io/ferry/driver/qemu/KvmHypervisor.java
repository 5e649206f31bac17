package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.Hypervisor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

/**
 * {@code <domain type='kvm'>}: QEMU guests with KVM acceleration; the same driver and settings as
 * {@link QemuHypervisor}, registered once per type because the core maps one type to one service.
 */
@Component(service = Hypervisor.class, property = Hypervisor.TYPE + "=kvm",
        configurationPid = {"io.ferry.plugin.ovs", QemuHypervisor.PID}, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class KvmHypervisor extends QemuHypervisor {
    public KvmHypervisor() {
        super("kvm");
    }
}
