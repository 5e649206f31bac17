package io.ferry.core.domain;

import io.ferry.api.hypervisor.VmNotStoppedException;

/** A domain operation refused or failed; the message is libvirt's where libvirt has one. */
public class DomainException extends Exception {
    private static final long serialVersionUID = 1L;

    public DomainException(String message) {
        super(message);
    }

    public DomainException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Every job on an {@link DomainState#UNREADABLE} domain is refused with this. */
    public static DomainException unreadable(Domain domain) {
        return new DomainException("Requested operation is not valid: domain '" + domain.name() + "' is unreadable: "
                + domain.problem() + "; its files are kept as they are: repair what is named, then restart ferryd");
    }

    /**
     * The driver refused to make a VM of a domain because one that it does not drive runs (a QEMU that a daemon killed
     * in a start left): the refusal, and what this host keeps to guard that VM, {@code kept} ("the run directory of
     * domain NAME stays this host's"), worded alike for a start and an arrival.
     */
    public static DomainException refusedForTheVmThatRuns(VmNotStoppedException refusal, String kept) {
        return new DomainException(refusal.getMessage() + "; " + kept + " while that VM runs", refusal);
    }

    public static DomainException notFound(String name) {
        return new DomainException("Domain not found: no domain with matching name '" + name + "'");
    }
}
