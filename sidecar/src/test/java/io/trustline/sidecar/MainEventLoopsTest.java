package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.Server;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real command line ({@link Main}) in its own JVM with {@code eventLoops: 2} and no Armeria flag, sends a
 * call through every part that does I/O (the outbound listener, the client to a peer over mTLS, the inbound listener,
 * the client to the app, a route's DNS lookups, the admin port), then lists the process's threads with {@code jcmd}:
 * the sidecar's I/O runs on exactly the configured number of event loops, not on Armeria's common group (whose default
 * of two per core cost 26-52 % more CPU per request, docs/performance.md "How many event loops"). That group keeps
 * one thread for Armeria's own timers; a second one is what a listener, a client or a DNS lookup left on it starts.
 */
class MainEventLoopsTest {

    private static final Pattern THREAD_NAME = Pattern.compile("(?m)^\"([^\"]+)\"");

    @TempDir
    Path dir;

    @Test
    void allOfTheSidecarsIoRunsOnTheConfiguredEventLoops() throws Exception {
        SidecarProcess.writeFileIdentity(dir);
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(
                dir.resolve("policies/backend.yaml"),
                "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: backend}\nspec:\n"
                        + "  service: backend\n  rules:\n    - name: self\n      action: allow\n"
                        + "      from: {principals: [\"" + TestMesh.BACKEND + "\"]}\n");
        // The self route's endpoint is written once the inbound port is known; the DNS route asks a server that
        // never answers, which is enough to put its lookups on an event loop.
        final Path endpoints = Files.writeString(dir.resolve("self.endpoints"), "# filled in below\n");
        final Server app = Server.builder()
                .http(0)
                .service("/items", (ctx, req) -> HttpResponse.of("items"))
                .build();
        app.start().join();
        final Path config = SidecarProcess.writeConfig(
                dir,
                app.activeLocalPort(),
                "eventLoops: 2\n"
                        + "policy: {dir: policies}\n"
                        + "outbound:\n"
                        + "  listen: 127.0.0.1:0\n"
                        + "  routes:\n"
                        + "    self: {identity: " + TestMesh.BACKEND + ", file: " + endpoints + "}\n"
                        + "    named:\n"
                        + "      identity: " + TestMesh.BACKEND + "\n"
                        + "      dns: {name: backend.test, port: 15006, servers: [127.0.0.1:9]}\n");
        final Path output = dir.resolve("output.txt");
        final Process process =
                SidecarProcess.startUntilReady(config, output, List.of(), SidecarProcess.productionClassPath());
        try {
            final String ready = Files.readString(output);
            Files.writeString(endpoints, "127.0.0.1:" + port(ready, "inbound") + "\n");
            final WebClient client = WebClient.of("http://127.0.0.1:" + port(ready, "outbound"));
            final RequestHeaders call = RequestHeaders.builder(HttpMethod.GET, "/items")
                    .add(HttpHeaderNames.HOST, "self")
                    .build();
            // The app's answer crossed both listeners and both clients.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                final AggregatedHttpResponse res =
                        client.execute(call).aggregate().join();
                assertThat(res.status().code()).as(res.contentUtf8()).isEqualTo(200);
                assertThat(res.contentUtf8()).isEqualTo("items");
            });
            assertThat(WebClient.of("http://127.0.0.1:" + port(ready, "admin"))
                            .get("/healthz")
                            .aggregate()
                            .join()
                            .status()
                            .code())
                    .isEqualTo(200);

            final List<String> threads = threadNames(process.pid());
            assertThat(threads).as("the JVM's threads").contains("main");
            assertThat(threads.stream().filter(t -> t.startsWith(Sidecar.EVENT_LOOP_THREAD_PREFIX + '-')))
                    .as("the sidecar's event loops, among %s", threads)
                    .hasSize(2);
            // Armeria's own timers (outlier detection's) use its common group whatever the sidecar asks: one thread,
            // of the group's default size of two per core, none of them carrying a connection.
            assertThat(threads.stream().filter(t -> t.startsWith("armeria-common-worker")))
                    .as("Armeria's common workers, among %s", threads)
                    .hasSizeLessThanOrEqualTo(1);
        } finally {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            app.stop().join();
        }
    }

    private static int port(String readyLog, String listener) {
        final Matcher m = Pattern.compile("\\b" + listener + "=\"?(\\d+)").matcher(readyLog);
        assertThat(m.find()).as("%s port in %s", listener, readyLog).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static List<String> threadNames(long pid) throws Exception {
        final Process jcmd = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(pid),
                        "Thread.print")
                .redirectErrorStream(true)
                .start();
        final String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jcmd.waitFor(30, TimeUnit.SECONDS)).isTrue();
        final List<String> names = new ArrayList<>();
        final Matcher m = THREAD_NAME.matcher(dump);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
