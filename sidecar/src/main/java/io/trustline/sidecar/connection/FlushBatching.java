package io.trustline.sidecar.connection;

import com.linecorp.armeria.server.ServerBuilder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.SocketAddress;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One socket write for the flushes made in one event-loop task, on the sidecar's listeners and its clients.
 *
 * <p>Armeria puts Netty's {@link FlushConsolidationHandler} at the head of every connection, server and client, with
 * Netty's default, which merges flushes only while a read on that same connection is in progress. A proxy writes to
 * one connection while it reads another (a request goes upstream as the caller's bytes arrive, a response goes back
 * as the upstream's arrive), so each of those flushes went to the socket on its own: the HEADERS and DATA frames of
 * every HTTP/2 stream, however many streams were answered in the same task. On loopback each {@code send} also
 * delivers the bytes to the peer; at three to four of them per request and process, they were the largest single
 * cost in the profiles (docs/performance.md, "one write per event-loop task").
 *
 * <p>{@link #install} and {@link #CLIENT_CUSTOMIZER} replace it with the same handler that also merges when no read
 * is in progress: a flush is then done by a task queued on the connection's own event loop, which runs after the task
 * that wrote, so all the writes of that task (and of the other streams answered in it) leave in one {@code writev}.
 * Nothing is held back for more data: the queued flush runs once the current task returns, or at once after the
 * 256th flush in a row, as before; a connection that closes flushes what is pending first.
 */
public final class FlushBatching {

    /** Netty's and Armeria's default: flush anyway after this many flushes were merged. */
    private static final int EXPLICIT_FLUSH_AFTER_FLUSHES =
            FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;

    /**
     * For {@code ClientFactoryOptions.CHANNEL_PIPELINE_CUSTOMIZER}: the same for a client factory's connections.
     * Armeria runs that customizer before the connection's {@code connect} and adds its handler in {@code connect}, so
     * the customizer adds {@link OnConnect}, which lets the connect through and then makes the swap.
     */
    public static final Consumer<ChannelPipeline> CLIENT_CUSTOMIZER = p -> p.addLast(new OnConnect());

    /** Merges the flushes of each event-loop task on every connection of {@code sb}. */
    public static void install(ServerBuilder sb) {
        // Armeria adds its handler before it runs the customizers of a server connection.
        sb.childChannelPipelineCustomizer(FlushBatching::replace);
    }

    /** Swaps Armeria's handler for {@link Merging}; a pipeline without one is left alone. */
    static void replace(ChannelPipeline p) {
        if (p.get(FlushConsolidationHandler.class) != null) {
            p.replace(FlushConsolidationHandler.class, null, new Merging());
        }
    }

    /**
     * Netty's handler, built to merge the flushes of a task also when no read is in progress; a class of its own so
     * that a connection's pipeline shows which one it has.
     */
    static final class Merging extends FlushConsolidationHandler {
        Merging() {
            super(EXPLICIT_FLUSH_AFTER_FLUSHES, true);
        }
    }

    /**
     * Last in a client connection's pipeline when it is set up, so it sees {@code connect} before Armeria's pipeline
     * configurator does: it passes the connect on (the configurator adds its handlers then) and swaps the handler.
     */
    static final class OnConnect extends ChannelOutboundHandlerAdapter {
        @Override
        public void connect(
                ChannelHandlerContext ctx, SocketAddress remote, @Nullable SocketAddress local, ChannelPromise promise)
                throws Exception {
            ctx.connect(remote, local, promise);
            final ChannelPipeline p = ctx.pipeline();
            p.remove(this);
            replace(p);
        }
    }

    private FlushBatching() {}
}
