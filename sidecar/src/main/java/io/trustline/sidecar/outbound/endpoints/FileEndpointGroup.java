package io.trustline.sidecar.outbound.endpoints;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.DynamicEndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.common.CommonPools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints listed in a file ({@link EndpointsFile}), read again whenever its content changes. A version that
 * cannot be read or parsed is logged with its file, line and column, and the last good list stays in force; until
 * a first good version exists the group is empty.
 *
 * <p>The file is polled (every {@link #POLL_INTERVAL}) rather than watched: Kubernetes updates a mounted ConfigMap by
 * swapping a symlink, which file-system events report unreliably, and comparing a small file's bytes once a second
 * costs nothing.
 */
public final class FileEndpointGroup extends DynamicEndpointGroup {

    /** How often the file is compared with the version last read. */
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

    private static final Logger logger = LoggerFactory.getLogger(FileEndpointGroup.class);

    private final String route;
    private final Path file;
    private final ScheduledFuture<?> poll;
    private byte @Nullable [] lastSeen;
    private boolean unreadable;
    private boolean loaded;

    FileEndpointGroup(String route, Path file, long selectionTimeoutMillis) {
        super(EndpointSelectionStrategy.roundRobin(), true, selectionTimeoutMillis);
        this.route = route;
        this.file = file;
        reload();
        if (!loaded) {
            // Nothing readable yet: the route is empty, and ready, so calls are refused instead of waiting.
            setEndpoints(List.of());
        }
        poll = CommonPools.blockingTaskExecutor()
                .scheduleWithFixedDelay(
                        this::reload, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void reload() {
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            if (!unreadable) {
                logger.atWarn()
                        .setMessage("endpoints file unreadable, keeping the last good list")
                        .addKeyValue("route", route)
                        .addKeyValue("file", file)
                        .addKeyValue("cause", e.toString())
                        .log();
                unreadable = true;
            }
            return;
        }
        unreadable = false;
        if (lastSeen != null && Arrays.equals(bytes, lastSeen)) {
            return;
        }
        lastSeen = bytes;
        try {
            final List<Endpoint> endpoints = EndpointsFile.parse(new String(bytes, StandardCharsets.UTF_8));
            setEndpoints(endpoints);
            loaded = true;
            logger.atInfo()
                    .setMessage("endpoints file loaded")
                    .addKeyValue("route", route)
                    .addKeyValue("file", file)
                    .addKeyValue("endpoints", endpoints.size())
                    .log();
        } catch (EndpointsFile.BadLineException e) {
            logger.atWarn()
                    .setMessage("endpoints file rejected, keeping the last good list")
                    .addKeyValue("route", route)
                    .addKeyValue("file", file)
                    .addKeyValue("line", e.line())
                    .addKeyValue("column", e.column())
                    .addKeyValue("problem", e.problem())
                    .log();
        }
    }

    @Override
    protected void doCloseAsync(CompletableFuture<?> future) {
        poll.cancel(false);
        future.complete(null);
    }
}
