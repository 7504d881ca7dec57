package io.trustline.sidecar.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a real event loop (Netty's in-JVM transport): the flushes of one task reach the transport once, after the task,
 * on a server pipeline and on a client one; nothing written is lost or reordered.
 */
class FlushBatchingTest {

    private static EventLoopGroup group;
    private static final LocalAddress ADDRESS = new LocalAddress("flush-batching-test");
    /** What the peer received, one entry per read. */
    private static final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void listen() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        new ServerBootstrap()
                .group(group)
                .channel(LocalServerChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        final ByteBuf b = (ByteBuf) msg;
                        received.add(b.toString(StandardCharsets.US_ASCII));
                        b.release();
                    }

                    @Override
                    public boolean isSharable() {
                        return true;
                    }
                })
                .bind(ADDRESS)
                .sync();
    }

    @AfterAll
    static void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Counts the flushes that get past Armeria's handler to the transport. */
    private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
        }
    }

    /** Stands for Armeria's client pipeline configurator, which adds its handler when the connection connects. */
    private static final class AddsFlushHandlerOnConnect extends ChannelOutboundHandlerAdapter {
        @Override
        public void connect(
                ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            ctx.pipeline().addAfter(ctx.name(), null, new FlushConsolidationHandler());
            ctx.connect(remote, local, promise);
        }
    }

    /** A connection whose pipeline is: counter, then what {@code setUp} leaves (Armeria's handler, swapped or not). */
    private static Channel connect(FlushCounter counter, ChannelHandler first, Consumer<Channel> setUp)
            throws Exception {
        final Channel ch = new Bootstrap()
                .group(group)
                .channel(LocalChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(counter, first);
                        setUp.accept(c);
                    }
                })
                .connect(ADDRESS)
                .sync()
                .channel();
        received.clear();
        return ch;
    }

    /** Writes two pieces, each flushed, in one event-loop task; returns the flushes seen inside that task. */
    private static int writeTwiceInOneTask(Channel ch, FlushCounter counter) throws Exception {
        return ch.eventLoop()
                .submit(() -> {
                    ch.writeAndFlush(Unpooled.copiedBuffer("HEADERS ", StandardCharsets.US_ASCII));
                    ch.writeAndFlush(Unpooled.copiedBuffer("DATA", StandardCharsets.US_ASCII));
                    return counter.flushes.get();
                })
                .get(5, TimeUnit.SECONDS);
    }

    /** What the peer received once all of "HEADERS DATA" has arrived (the peer reads on the same event loop). */
    private static String receivedAll() {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> String.join("", received).length() >= "HEADERS DATA".length());
        return String.join("", received);
    }

    @Test
    void armeriasDefaultFlushesEachWriteOnItsOwnOutsideARead() throws Exception {
        final FlushCounter counter = new FlushCounter();
        final Channel ch = connect(counter, new FlushConsolidationHandler(), c -> {});
        counter.flushes.set(0);
        assertThat(writeTwiceInOneTask(ch, counter)).isEqualTo(2);
        assertThat(receivedAll()).isEqualTo("HEADERS DATA");
        ch.close().sync();
    }

    @Test
    void aServerPipelinesFlushesLeaveOnceAfterTheTask() throws Exception {
        final FlushCounter counter = new FlushCounter();
        final Channel ch = connect(counter, new FlushConsolidationHandler(), c -> FlushBatching.replace(c.pipeline()));
        counter.flushes.set(0);
        assertThat(writeTwiceInOneTask(ch, counter))
                .as("flushes during the task")
                .isZero();
        assertThat(receivedAll()).isEqualTo("HEADERS DATA");
        assertThat(counter.flushes.get()).as("flushes after it").isEqualTo(1);
        ch.close().sync();
    }

    @Test
    void aClientPipelineGetsTheSwapWhenItConnects() throws Exception {
        final FlushCounter counter = new FlushCounter();
        final Channel ch = connect(
                counter, new AddsFlushHandlerOnConnect(), c -> FlushBatching.CLIENT_CUSTOMIZER.accept(c.pipeline()));
        assertThat(ch.pipeline().get(FlushBatching.OnConnect.class))
                .as("removed once done")
                .isNull();
        assertThat(ch.pipeline().get(FlushConsolidationHandler.class)).isNotNull();
        counter.flushes.set(0);
        assertThat(writeTwiceInOneTask(ch, counter)).isZero();
        assertThat(receivedAll()).isEqualTo("HEADERS DATA");
        assertThat(counter.flushes.get()).isEqualTo(1);
        ch.close().sync();
    }

    @Test
    void pendingWritesLeaveBeforeTheConnectionCloses() throws Exception {
        final FlushCounter counter = new FlushCounter();
        final Channel ch = connect(counter, new FlushConsolidationHandler(), c -> FlushBatching.replace(c.pipeline()));
        ch.eventLoop()
                .submit(() -> {
                    ch.writeAndFlush(Unpooled.copiedBuffer("HEADERS DATA", StandardCharsets.US_ASCII));
                    ch.close();
                })
                .get(5, TimeUnit.SECONDS);
        assertThat(receivedAll()).isEqualTo("HEADERS DATA");
    }

    @Test
    void aPipelineWithoutArmeriasHandlerIsLeftAlone() throws Exception {
        final FlushCounter counter = new FlushCounter();
        final Channel ch =
                connect(counter, new ChannelOutboundHandlerAdapter(), c -> FlushBatching.replace(c.pipeline()));
        assertThat(ch.pipeline().get(FlushConsolidationHandler.class)).isNull();
        counter.flushes.set(0);
        assertThat(writeTwiceInOneTask(ch, counter)).isEqualTo(2);
        assertThat(receivedAll()).isEqualTo("HEADERS DATA");
        ch.close().sync();
    }
}
