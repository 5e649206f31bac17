package io.ferry.process;

import io.ferry.api.host.ProcessRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link ProcessRunner}: each run's pipes are served by this runner's threads (stdin written, stdout and
 * stderr read at the same time, so no pipe fills up and stalls the program), while the caller waits for all of
 * it until the deadline. At the deadline the whole {@link ProcessTree} is killed and the call fails without
 * waiting for anything: neither for the processes to be reaped nor for a pipe that a process outside the tree
 * still holds (its reader thread ends when that process does).
 */
public final class BoundedProcessRunner implements ProcessRunner, AutoCloseable {
    /** At most this many pipes are served at once: three per run, so about 16 runs. */
    public static final int DEFAULT_THREADS = 48;

    private final ThreadPoolExecutor pipes;

    public BoundedProcessRunner() {
        this(DEFAULT_THREADS);
    }

    public BoundedProcessRunner(int threads) {
        AtomicInteger count = new AtomicInteger();
        // no queue: a run whose pipes cannot all be served now fails at once instead of waiting for its limit
        this.pipes = new ThreadPoolExecutor(0, threads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
            Thread thread = new Thread(task, "ferry-process-pipe-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public Result run(String label, List<String> command, byte[] stdin, Duration limit) throws IOException {
        if (command.isEmpty() || limit.isNegative() || limit.isZero()) {
            String problem = command.isEmpty() ? "no command" : "time limit " + limit;
            throw new IllegalArgumentException("cannot run " + label + ": " + problem);
        }
        long deadline = System.nanoTime() + limit.toNanos();
        ProcessTree tree;
        try {
            tree = ProcessTree.start(command);
        } catch (IOException e) {
            throw new IOException("cannot run " + label + ": " + reason(e), e);
        }
        boolean finished = false;
        try {
            Result result = collect(tree, stdin, deadline);
            finished = true;
            return result;
        } catch (TimeoutException e) {
            throw new IOException(label + " did not finish within " + describe(limit));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running " + label);
        } catch (RejectedExecutionException e) {
            throw new IOException("cannot run " + label + ": " + (pipes.isShutdown() ? "the process runner is closed"
                    : "all " + pipes.getMaximumPoolSize() + " pipe threads are busy"));
        } catch (ExecutionException e) {
            throw new IOException("cannot read the output of " + label + ": " + e.getCause().getMessage(), e.getCause());
        } catch (IOException e) {
            throw new IOException("cannot run " + label + ": " + e.getMessage(), e);
        } finally {
            if (!finished) {
                tree.kill();
            }
        }
    }

    /**
     * The output to its end and the exit. The JDK's process reaper, when the program exits, drains what its pipes
     * hold and closes them, unless a reader holds the stream (its monitor): a process the program left behind would
     * lose the pipe it writes to, and the run would end early or not, by a race. So each reader takes its stream's
     * monitor first, and until both do, this thread holds the Process's, which the reaper takes before the streams'
     * (OpenJDK's ProcessImpl). Only a program that exited before this thread got there (a cold JVM, a busy host) has had
     * its pipes drained: then what it left behind holding a pipe is waited for as the pipe would have been.
     */
    private Result collect(ProcessTree tree, byte[] stdin, long deadline)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        Process process = tree.process();
        boolean exitedFirst;
        Future<Capture> out;
        Future<Capture> err;
        synchronized (process) {
            exitedFirst = !process.isAlive();
            out = hold(process.getInputStream(), deadline);
            err = hold(process.getErrorStream(), deadline);
        }
        feed(process.getOutputStream(), stdin);
        Capture stdout = out.get(remaining(deadline), TimeUnit.NANOSECONDS);
        Capture stderr = err.get(remaining(deadline), TimeUnit.NANOSECONDS);
        if (!process.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException();
        }
        if (exitedFirst) {
            tree.awaitPipeHolders(remaining(deadline));
        }
        return new Result(process.exitValue(), stdout.text(), stdout.truncated(), stderr.text());
    }

    /** Starts reading {@code stream} to its end; returns once the reader holds it. */
    private Future<Capture> hold(InputStream stream, long deadline) throws InterruptedException, TimeoutException {
        CountDownLatch holding = new CountDownLatch(1);
        Future<Capture> capture = pipes.submit(() -> {
            synchronized (stream) {
                holding.countDown();
                return Capture.of(stream);
            }
        });
        if (!holding.await(remaining(deadline), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException();
        }
        return capture;
    }

    /** Stops the pipe threads; runs under way fail. */
    @Override
    public void close() {
        pipes.shutdownNow();
    }

    private void feed(OutputStream in, byte[] bytes) throws IOException {
        if (bytes == null || bytes.length == 0) {
            in.close();
            return;
        }
        pipes.execute(() -> {
            try (in) {
                in.write(bytes);
            } catch (IOException e) {
                // the program closed its stdin unread (exited, or was killed): that is its choice
            }
        });
    }

    private static long remaining(long deadline) {
        return deadline - System.nanoTime();
    }

    private static String describe(Duration limit) {
        return limit.toMillis() % 1000 == 0 ? limit.toSeconds() + " s" : limit.toMillis() + " ms";
    }

    /** ProcessBuilder says {@code Cannot run program "X": error=2, No such file or directory}; the end is the news. */
    private static String reason(IOException e) {
        String message = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
        return message.replaceFirst("^error=\\d+, ", "");
    }

    /** One output stream's first {@link #OUTPUT_LIMIT} bytes; the rest was read and dropped. */
    private record Capture(String text, boolean truncated) {
        static Capture of(InputStream stream) throws IOException {
            try (InputStream in = stream) {
                ByteArrayOutputStream kept = new ByteArrayOutputStream();
                byte[] buffer = new byte[8192];
                boolean truncated = false;
                for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
                    int room = OUTPUT_LIMIT - kept.size();
                    kept.write(buffer, 0, Math.min(n, room));
                    truncated |= n > room;
                }
                return new Capture(kept.toString(StandardCharsets.UTF_8), truncated);
            }
        }
    }
}
