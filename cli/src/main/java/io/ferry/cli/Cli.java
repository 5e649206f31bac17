package io.ferry.cli;

import io.ferry.protocol.ChannelException;

/** Turns control-channel failures into the CLI's one-line errors. */
final class Cli {
    private Cli() {
    }

    interface ChannelCall<T> {
        T call() throws ChannelException;
    }

    static <T> T call(ChannelCall<T> call) throws CliException {
        try {
            return call.call();
        } catch (ChannelException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
