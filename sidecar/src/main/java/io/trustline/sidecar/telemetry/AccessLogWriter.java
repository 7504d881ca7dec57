package io.trustline.sidecar.telemetry;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.config.SidecarConfig.AccessLogConfig;
import io.trustline.sidecar.metrics.MetricNames;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes access-log lines on its own thread. The request path only offers a captured {@link AccessLogLine} to a
 * bounded queue and never waits: when the sink falls behind, lines are dropped and counted
 * ({@value MetricNames#ACCESS_LOG_DROPPED}), never buffered without bound.
 */
final class AccessLogWriter implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(AccessLogWriter.class);

    /** Lines formatted and written per flush. */
    private static final int BATCH = 256;

    private final BlockingQueue<AccessLogLine> queue;
    private final Writer out;
    private final boolean ownsOut;
    private final Counter dropped;
    private final Thread thread;
    private volatile boolean closed;

    private AccessLogWriter(Writer out, boolean ownsOut, int queueSize, MeterRegistry meters) {
        this.out = out;
        this.ownsOut = ownsOut;
        queue = new ArrayBlockingQueue<>(queueSize);
        dropped = Counter.builder(MetricNames.ACCESS_LOG_DROPPED)
                .description("Access-log lines dropped because the writer fell behind")
                .register(meters);
        thread = new Thread(this::run, "trustline-access-log");
        thread.setDaemon(true);
        thread.start();
    }

    /** The writer for {@code config}'s sink (not called for sink {@code off}). */
    static AccessLogWriter open(AccessLogConfig config, MeterRegistry meters) {
        switch (config.sink()) {
            case FILE:
                try {
                    final Path file = requireNonNull(config.file(), "accessLog.file");
                    if (file.getParent() != null) {
                        Files.createDirectories(file.getParent());
                    }
                    return new AccessLogWriter(
                            Files.newBufferedWriter(
                                    file,
                                    StandardCharsets.UTF_8,
                                    StandardOpenOption.CREATE,
                                    StandardOpenOption.APPEND,
                                    StandardOpenOption.WRITE),
                            true,
                            config.queueSize(),
                            meters);
                } catch (IOException e) {
                    throw new UncheckedIOException(config.file() + ": cannot open the access log", e);
                }
            case STDOUT:
                // Not System.out: its PrintStream locks per call and swallows errors.
                return new AccessLogWriter(
                        new BufferedWriter(new OutputStreamWriter(
                                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8)),
                        false,
                        config.queueSize(),
                        meters);
            default:
                throw new IllegalArgumentException("sink: " + config.sink() + " (expected: stdout or file)");
        }
    }

    /** Queues {@code line} if there is room; never blocks. */
    void offer(AccessLogLine line) {
        if (!queue.offer(line)) {
            dropped.increment();
        }
    }

    private void run() {
        final List<AccessLogLine> batch = new ArrayList<>(BATCH);
        final StringBuilder sb = new StringBuilder(1024);
        boolean failing = false;
        while (!closed || !queue.isEmpty()) {
            try {
                final AccessLogLine first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                for (AccessLogLine line : batch) {
                    sb.setLength(0);
                    line.appendJson(sb);
                    sb.append('\n');
                    out.append(sb);
                }
                out.flush();
                failing = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                dropped.increment(batch.size());
                if (!failing) {
                    logger.warn("access log write failed, lines dropped until it recovers cause={}", e.toString());
                    failing = true;
                }
            } finally {
                batch.clear();
            }
        }
    }

    /** Writes what is queued (waiting at most a few seconds) and closes a file sink. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (ownsOut) {
                out.close();
            } else {
                out.flush();
            }
        } catch (IOException e) {
            logger.warn("access log not closed cleanly cause={}", e.toString());
        }
    }
}
