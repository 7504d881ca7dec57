package io.trustline.sidecar.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.server.Server;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A plain HTTP app behind an inbound sidecar (HTTP/1.1 and h2c on one port). It echoes what it received, streams
 * large bodies both ways without buffering them, and records every request so tests can prove what did or did not
 * reach it.
 */
public final class TestHttpApp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final LongAdder requests = new LongAdder();
    private final CopyOnWriteArrayList<String> paths = new CopyOnWriteArrayList<>();

    public TestHttpApp() {
        server = Server.builder()
                .port(0, SessionProtocol.HTTP)
                .maxRequestLength(0)
                .requestTimeout(Duration.ZERO)
                .serviceUnder("/echo", (ctx, req) -> {
                    record(ctx.path());
                    return HttpResponse.of(req.aggregate().thenApply(agg -> {
                        final ObjectNode body = JSON.createObjectNode();
                        body.put("method", agg.method().name());
                        body.put("path", agg.headers().path());
                        // The request target exactly as it arrived, before Armeria's own normalisation.
                        body.put("rawPath", ctx.rawPath());
                        final com.fasterxml.jackson.databind.node.ArrayNode names = body.putArray("headerNames");
                        agg.headers().forEach((name, value) -> names.add(name.toString()));
                        body.put("bodyLength", agg.content().length());
                        final ObjectNode headers = body.putObject("headers");
                        agg.headers().forEach((name, value) -> headers.put(name.toString(), value));
                        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, body.toString());
                    }));
                })
                .service("/fingerprinted", (ctx, req) -> {
                    record(ctx.path());
                    return HttpResponse.of(
                            ResponseHeaders.builder(HttpStatus.OK)
                                    .add("server", "nginx/1.25.3")
                                    .add("x-powered-by", "PHP/8.2")
                                    .contentType(MediaType.PLAIN_TEXT_UTF_8)
                                    .build(),
                            HttpData.ofUtf8("ok"));
                })
                .service("/download", (ctx, req) -> {
                    record(ctx.path());
                    // A demand-driven stream of references to one chunk: the app streams without buffering the body.
                    final long total = Long.parseLong(ctx.queryParam("bytes"));
                    final int chunk = 64 * 1024;
                    final HttpData data = HttpData.wrap(new byte[chunk]);
                    final HttpData[] parts = new HttpData[(int) ((total + chunk - 1) / chunk)];
                    for (int i = 0; i < parts.length; i++) {
                        final long left = total - (long) i * chunk;
                        parts[i] = left >= chunk ? data : HttpData.wrap(new byte[(int) left]);
                    }
                    return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK), StreamMessage.of(parts));
                })
                .service("/upload", (ctx, req) -> {
                    record(ctx.path());
                    final AtomicLong count = new AtomicLong();
                    final java.util.concurrent.CompletableFuture<HttpResponse> done =
                            new java.util.concurrent.CompletableFuture<>();
                    req.subscribe(new Subscriber<>() {
                        private Subscription s;

                        @Override
                        public void onSubscribe(Subscription s) {
                            this.s = s;
                            s.request(1);
                        }

                        @Override
                        public void onNext(com.linecorp.armeria.common.HttpObject obj) {
                            if (obj instanceof HttpData) {
                                count.addAndGet(((HttpData) obj).length());
                            }
                            s.request(1);
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onComplete() {
                            done.complete(HttpResponse.of(Long.toString(count.get())));
                        }
                    });
                    return HttpResponse.of(done);
                })
                .build();
        server.start().join();
    }

    private void record(String path) {
        requests.increment();
        paths.add(path);
    }

    public int port() {
        return server.activeLocalPort();
    }

    /** How many requests reached the app. */
    public long requests() {
        return requests.sum();
    }

    public java.util.List<String> paths() {
        return paths;
    }

    public void stop() {
        server.stop().join();
    }

    @Override
    public void close() {
        server.close();
    }
}
