package io.trustline.sidecar.connection;

import com.linecorp.armeria.server.ServerBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalException;
import io.trustline.sidecar.refusal.RefusalKind;
import java.util.List;
import java.util.Map;

/**
 * Refuses an HTTP/1.1 request whose {@code Transfer-Encoding} is anything but exactly {@code chunked} with 501
 * {@code request.unsupported_transfer_coding} (RFC 9112 section 6.1; Envoy answers the same). Netty decodes only
 * {@code chunked} and Armeria drops the header before any service runs, so without this check a body in
 * {@code gzip, chunked} reached the app as if it were plain, and one in {@code gzip} alone was silently cut.
 *
 * <p>The check has to see Netty's request before Armeria's decoder removes the header, so it sits right behind the
 * HTTP/1 codec, which Armeria adds only once it knows the protocol: after the first four bytes on a plaintext
 * listener, in the TLS handshake's ALPN step on a TLS one. {@link #install} adds a {@link Locator} that waits for the
 * codec and puts the check behind it before the first request's bytes reach the codec. HTTP/2 needs no check: it has
 * no transfer codings and Netty refuses the header there.
 */
@Sharable
public final class TransferCodingCheck extends ChannelInboundHandlerAdapter {

    /** The refusal for a transfer coding other than exactly {@code chunked}. */
    public static final Refusal UNSUPPORTED =
            Refusal.of(RefusalKind.NOT_IMPLEMENTED, ReasonCode.REQUEST_UNSUPPORTED_TRANSFER_CODING);

    private static final TransferCodingCheck INSTANCE = new TransferCodingCheck();

    private TransferCodingCheck() {}

    /** Checks the transfer coding of every HTTP/1 request on {@code sb}'s connections. */
    public static void install(ServerBuilder sb) {
        sb.childChannelPipelineCustomizer(p -> p.addFirst(new Locator(false)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req && req.decoderResult().isSuccess() && !acceptable(req)) {
            // Armeria answers a failed decoder result through the server's error handler, which renders this refusal,
            // and then discards the rest of the connection's input and closes it.
            req.setDecoderResult(DecoderResult.failure(new RefusalException(UNSUPPORTED)));
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Whether the request's transfer codings, all {@code Transfer-Encoding} lines joined, are exactly one
     * {@code chunked} (or absent): {@code gzip, chunked}, {@code identity}, {@code chunked, chunked} and an empty value
     * are not.
     */
    static boolean acceptable(HttpRequest req) {
        final List<String> lines = req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (lines.isEmpty()) {
            return true;
        }
        int codings = 0;
        for (String line : lines) {
            for (String coding : line.split(",", -1)) {
                codings++;
                if (codings > 1 || !coding.strip().equalsIgnoreCase("chunked")) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Waits for Armeria to configure the connection's pipeline and installs the check behind the HTTP/1 codec, then
     * removes itself. On a TLS connection it moves behind the ALPN handler, which holds the first decrypted bytes until
     * the handshake has chosen the protocol and added the codec; on a plaintext one it passes the first bytes on one at
     * a time, so that Armeria decides the protocol (and adds the codec) before a whole request reaches it.
     */
    static final class Locator extends ChannelInboundHandlerAdapter {

        private final boolean behindAlpn;

        Locator(boolean behindAlpn) {
            this.behindAlpn = behindAlpn;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                ctx.fireChannelRead(msg);
                return;
            }
            final ChannelPipeline p = ctx.pipeline();
            while (true) {
                if (settled(p)) {
                    p.remove(this);
                    ctx.fireChannelRead(buf);
                    return;
                }
                if (behindAlpn) {
                    // Not chosen yet, and the codec would be added behind this handler: wait for the next read.
                    ctx.fireChannelRead(buf);
                    return;
                }
                final ChannelHandlerContext alpn = p.context(ApplicationProtocolNegotiationHandler.class);
                if (alpn != null) {
                    p.remove(this);
                    p.addAfter(alpn.name(), null, new Locator(true));
                    ctx.fireChannelRead(buf);
                    return;
                }
                if (buf.readableBytes() <= 1) {
                    ctx.fireChannelRead(buf);
                    return;
                }
                ctx.fireChannelRead(buf.readRetainedSlice(1));
            }
        }

        /** Whether the protocol is chosen: the check is behind the HTTP/1 codec, or the connection is HTTP/2. */
        private static boolean settled(ChannelPipeline p) {
            for (Map.Entry<String, ChannelHandler> handler : p) {
                // Armeria 1.40 brings its own HTTP/1 server codec; it and Netty's are both an upgrade source codec.
                if (handler.getValue() instanceof HttpServerUpgradeHandler.SourceCodec) {
                    p.addAfter(handler.getKey(), null, INSTANCE);
                    return true;
                }
            }
            return p.context(Http2ConnectionHandler.class) != null;
        }
    }
}
