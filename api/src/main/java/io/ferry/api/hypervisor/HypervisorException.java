package io.ferry.api.hypervisor;

/** A driver's refusal or failure; the message is shown to the user as it is. */
public class HypervisorException extends Exception {
    private static final long serialVersionUID = 1L;

    public HypervisorException(String message) {
        super(message);
    }

    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
