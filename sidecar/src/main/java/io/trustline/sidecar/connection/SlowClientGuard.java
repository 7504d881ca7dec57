package io.trustline.sidecar.connection;

import com.linecorp.armeria.common.HttpRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.trustline.sidecar.config.SlowClientLimits;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One connection's slow-client deadlines (see {@link SlowClientLimits}), as a Netty handler at the head of the
 * connection's pipeline, where it sees every byte the client sends. Armeria 1.40 has no knob for these: its TLS
 * handshake timeout is the idle timeout, and its idle timeout never fires while a request is in progress or bytes
 * keep trickling in. The HTTP layer tells the guard when a request's headers are complete and when its body is
 * ({@link SlowClientService}); everything else is counted here, on the connection's event loop.
 */
final class SlowClientGuard extends ChannelDuplexHandler {

    static final AttributeKey<SlowClientGuard> KEY = AttributeKey.valueOf(SlowClientGuard.class, "GUARD");

    private enum Phase {
        HANDSHAKE,
        FIRST_HEADERS,
        OPEN
    }

    private final String listener;
    private final SlowClientLimits limits;
    private final ConnectionEvents events;

    private @Nullable ChannelHandlerContext ctx;
    private Phase phase;
    private long openedNanos;
    private boolean handshakeWatched;
    /** HTTP/2 connections get the headers deadline for the first request only (its streams are not lines). */
    private boolean multiplexed;

    /**
     * The armed deadline ({@link System#nanoTime()}), and why it closes; {@link #deadlineReason} is null when none is
     * armed. Arming and disarming only write these fields: an HTTP/1.1 connection arms and disarms the headers
     * deadline once per request, and a timer scheduled and cancelled per request cost about 2 µs of CPU per request
     * in bench/cpu-per-request.sh. One {@link #timer} at most is scheduled; when it fires early (the deadline moved
     * later), it schedules itself again for the rest.
     */
    private long deadlineNanos;

    private @Nullable SlowClientReason deadlineReason;
    private @Nullable ScheduledFuture<?> timer;
    /** When {@link #timer} fires ({@link System#nanoTime()}). */
    private long timerNanos;

    /**
     * Requests on this connection whose body the client has not finished sending (a stream is open until its last
     * byte is in, even if the app has not read it yet): rated ones must keep up {@code minBodyRate}, streams not.
     * Pruned as they close; empty on the happy path, where requests arrive complete.
     */
    private final List<HttpRequest> ratedBodies = new ArrayList<>(0);

    private final List<HttpRequest> streamBodies = new ArrayList<>(0);
    private long bodyBytes;
    private @Nullable ScheduledFuture<?> bodyCheck;

    SlowClientGuard(String listener, SlowClientLimits limits, boolean tls, ConnectionEvents events) {
        this.listener = listener;
        this.limits = limits;
        this.events = events;
        phase = tls ? Phase.HANDSHAKE : Phase.FIRST_HEADERS;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().attr(KEY).set(this);
        openedNanos = System.nanoTime();
        if (phase == Phase.HANDSHAKE) {
            arm(SlowClientReason.HANDSHAKE_TIMEOUT, limits.handshakeTimeout().toNanos());
        } else {
            arm(SlowClientReason.HEADERS_TIMEOUT, limits.headersTimeout().toNanos());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            if (!ratedBodies.isEmpty()) {
                bodyBytes += buf.readableBytes();
            } else if (phase == Phase.OPEN && !multiplexed && deadlineReason == null && !bodiesOpen()) {
                // The first byte of the next HTTP/1.1 request: its headers are now on the clock.
                arm(SlowClientReason.HEADERS_TIMEOUT, limits.headersTimeout().toNanos());
            }
        }
        ctx.fireChannelRead(msg);
        if (phase == Phase.HANDSHAKE && !handshakeWatched) {
            watchHandshake(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        cancelBodyCheck();
        ratedBodies.clear();
        streamBodies.clear();
        ctx.fireChannelInactive();
    }

    /** Armeria puts the {@link SslHandler} in once the ClientHello is in, so look for it after each read. */
    private void watchHandshake(ChannelHandlerContext ctx) {
        final SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return;
        }
        handshakeWatched = true;
        ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess() && phase == Phase.HANDSHAKE) {
                phase = Phase.FIRST_HEADERS;
                arm(SlowClientReason.HEADERS_TIMEOUT, limits.headersTimeout().toNanos());
            }
        });
    }

    /**
     * A request's headers are complete. {@code stream}: a gRPC call or WebSocket, exempt from the body rate. Event
     * loop only.
     */
    void requestStarted(HttpRequest req, boolean multiplexed, boolean stream) {
        this.multiplexed = multiplexed;
        phase = Phase.OPEN;
        cancelDeadline();
        if (!req.isOpen()) {
            return;
        }
        if (stream || limits.minBodyRate() == 0) {
            streamBodies.add(req);
            return;
        }
        ratedBodies.add(req);
        if (bodyCheck == null) {
            bodyBytes = 0;
            scheduleBodyCheck();
        }
    }

    /** Whether any request body on this connection is still arriving. */
    private boolean bodiesOpen() {
        streamBodies.removeIf(r -> !r.isOpen());
        ratedBodies.removeIf(r -> !r.isOpen());
        return !streamBodies.isEmpty() || !ratedBodies.isEmpty();
    }

    private void scheduleBodyCheck() {
        final ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        bodyCheck = c.executor()
                .schedule(
                        () -> {
                            bodyCheck = null;
                            ratedBodies.removeIf(r -> !r.isOpen());
                            if (ratedBodies.isEmpty()) {
                                return;
                            }
                            // Reads paused by Armeria's backpressure (the app is slow to take the body) are not
                            // the client's fault: such a window is not judged.
                            if (c.channel().config().isAutoRead() && bodyBytes < limits.minBodyBytesPerWindow()) {
                                close(SlowClientReason.BODY_TOO_SLOW);
                                return;
                            }
                            bodyBytes = 0;
                            scheduleBodyCheck();
                        },
                        limits.bodyWindow().toNanos(),
                        TimeUnit.NANOSECONDS);
    }

    private void arm(SlowClientReason reason, long nanos) {
        deadlineReason = reason;
        deadlineNanos = System.nanoTime() + nanos;
        if (timer == null || deadlineNanos - timerNanos < 0) {
            // No timer, or one that fires too late for this deadline (a headers timeout shorter than the handshake's).
            if (timer != null) {
                timer.cancel(false);
            }
            schedule(nanos);
        }
    }

    private void schedule(long nanos) {
        final ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        timerNanos = System.nanoTime() + nanos;
        timer = c.executor().schedule(this::timerFired, nanos, TimeUnit.NANOSECONDS);
    }

    private void timerFired() {
        timer = null;
        final SlowClientReason reason = deadlineReason;
        if (reason == null) {
            return;
        }
        final long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            schedule(left);
        } else {
            close(reason);
        }
    }

    private void cancelDeadline() {
        deadlineReason = null;
    }

    private void cancelTimer() {
        deadlineReason = null;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void cancelBodyCheck() {
        if (bodyCheck != null) {
            bodyCheck.cancel(false);
            bodyCheck = null;
        }
    }

    private void close(SlowClientReason reason) {
        final ChannelHandlerContext c = ctx;
        if (c == null || !c.channel().isActive()) {
            return;
        }
        deadlineReason = null;
        cancelBodyCheck();
        final Channel ch = c.channel();
        final InetSocketAddress remote = ch.remoteAddress() instanceof InetSocketAddress a ? a : null;
        events.slowClientClosed(listener, reason, remote, System.nanoTime() - openedNanos);
        ch.close();
    }
}
