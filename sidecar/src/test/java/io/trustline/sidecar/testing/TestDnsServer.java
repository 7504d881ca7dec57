package io.trustline.sidecar.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real DNS server on UDP, loopback, port 0, that answers A queries for one name with the addresses a test sets
 * (TTL one second), AAAA queries for it with no records, and anything else with NXDOMAIN. Changing the addresses
 * while a sidecar resolves the name is how a test moves a route's traffic.
 */
public final class TestDnsServer implements AutoCloseable {

    private final String name;
    private final AtomicReference<List<InetAddress>> addresses = new AtomicReference<>(List.of());
    private final AtomicInteger queries = new AtomicInteger();
    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel channel;

    public TestDnsServer(String name) throws InterruptedException {
        this.name = name.toLowerCase(Locale.ROOT);
        channel = new Bootstrap()
                .group(group)
                .channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline()
                                .addLast(new DatagramDnsQueryDecoder())
                                .addLast(new DatagramDnsResponseEncoder())
                                .addLast(new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
                                        ctx.writeAndFlush(answer(query));
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sync()
                .channel();
    }

    /** Where the server listens. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** From now on, A queries for the name are answered with {@code next}. */
    public void answer(List<InetAddress> next) {
        addresses.set(List.copyOf(next));
    }

    /** How many queries of any kind arrived. */
    public int queries() {
        return queries.get();
    }

    private DatagramDnsResponse answer(DatagramDnsQuery query) {
        queries.incrementAndGet();
        final DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        final DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
        response.setRecursionAvailable(true);
        response.addRecord(DnsSection.QUESTION, question);
        final String asked = question.name().toLowerCase(Locale.ROOT);
        if (!asked.equals(name) && !asked.equals(name + '.')) {
            return response.setCode(DnsResponseCode.NXDOMAIN);
        }
        if (question.type() == DnsRecordType.A) {
            for (InetAddress a : addresses.get()) {
                response.addRecord(
                        DnsSection.ANSWER,
                        new DefaultDnsRawRecord(
                                question.name(), DnsRecordType.A, 1, Unpooled.wrappedBuffer(a.getAddress())));
            }
        }
        return response;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
