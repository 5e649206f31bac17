package io.ferry.core.builtin;

import io.ferry.api.hypervisor.DomainSpec;

/**
 * What a {@code --persistent} migration's source offers the {@link PersistentSection} to carry: the domain's stored
 * definition (its next boot's, libvirt's {@code vm->newDef}), which differs from the one the guest runs once the domain
 * was redefined while it ran; renamed by {@code --dname}. Without it the section carries the definition the guest runs.
 *
 * @param spec the definition the destination keeps
 */
public record PersistentDefinition(DomainSpec spec) {
}
