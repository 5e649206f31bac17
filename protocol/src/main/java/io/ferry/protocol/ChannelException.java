package io.ferry.protocol;

/**
 * A control-channel call that failed. {@link #refused()} tells a definite answer from the peer (it ran the
 * request and said no) from a lost one (no connection, or the connection broke: the outcome is unknown),
 * which the migration driver must tell apart.
 */
public class ChannelException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean refused;

    public ChannelException(String message, boolean refused) {
        super(message);
        this.refused = refused;
    }

    public ChannelException(String message, boolean refused, Throwable cause) {
        super(message, cause);
        this.refused = refused;
    }

    /** The peer answered with an error: nothing was done, or it undid what it did. */
    public boolean refused() {
        return refused;
    }
}
