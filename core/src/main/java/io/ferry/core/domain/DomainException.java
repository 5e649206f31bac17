package io.ferry.core.domain;

/** A domain operation refused or failed; the message is libvirt's where libvirt has one. */
public class DomainException extends Exception {
    private static final long serialVersionUID = 1L;

    public DomainException(String message) {
        super(message);
    }

    public DomainException(String message, Throwable cause) {
        super(message, cause);
    }

    public static DomainException notFound(String name) {
        return new DomainException("Domain not found: no domain with matching name '" + name + "'");
    }
}
