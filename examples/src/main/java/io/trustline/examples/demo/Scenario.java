package io.trustline.examples.demo;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.trustline.ca.X509Svid;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The scripted tour of the mesh. Each step is a real call from outside (a shopper's HTTP client, or a process in a
 * service's network namespace), with a fresh W3C trace id so the step can be found in Jaeger; it prints what was
 * called, by whom, what came back and whether that is what zero trust should give.
 */
public final class Scenario {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration EVIDENCE_WAIT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(50);

    private final DemoMesh mesh;
    private final PrintStream out;
    private final Duration renewalTimeout;
    private final List<Step> steps = new ArrayList<>();
    private final WebClient shopper;

    public Scenario(DemoMesh mesh, PrintStream out, Duration renewalTimeout) {
        this.mesh = mesh;
        this.out = out;
        this.renewalTimeout = renewalTimeout;
        shopper = WebClient.builder(mesh.frontendUrl())
                .responseTimeout(RESPONSE_TIMEOUT)
                .build();
    }

    /** Runs every step and returns them; never throws for an unexpected outcome (the step says so). */
    public List<Step> run() {
        final String alice = token("alice", false);
        final String bob = token("bob", false);
        final String aliceExpired = token("alice", true);

        http(
                "read-order",
                "alice reads one of her orders",
                "alice -> frontend -> orders (GetOrder)",
                List.of("frontend", "orders"),
                shopperCall(HttpMethod.GET, "/shop/orders/1001", alice, null),
                200,
                null);
        http(
                "list-orders",
                "alice lists her orders (gRPC server streaming)",
                "alice -> frontend -> orders (ListOrders)",
                List.of("frontend", "orders"),
                shopperCall(HttpMethod.GET, "/shop/orders", alice, null),
                200,
                null);
        http(
                "create-order",
                "alice orders a tea: orders reserves it at inventory",
                "alice -> frontend -> orders (CreateOrder) -> inventory",
                List.of("frontend", "orders", "inventory"),
                shopperCall(HttpMethod.POST, "/shop/orders", alice, "{\"sku\":\"tea\",\"quantity\":1}"),
                201,
                null);
        http(
                "bob-create",
                "bob (read-only scope) tries to order: orders' policy refuses",
                "bob -> frontend -> orders (CreateOrder)",
                List.of("frontend", "orders"),
                shopperCall(HttpMethod.POST, "/shop/orders", bob, "{\"sku\":\"mug\",\"quantity\":1}"),
                403,
                "authz.no_allow_match");
        http(
                "frontend-to-inventory",
                "a compromised frontend skips orders and reserves stock itself, with alice's valid token",
                "frontend -> inventory",
                List.of("inventory"),
                asFrontend(HttpMethod.POST, "inventory", "/stock/tea/reservations", alice, "{\"quantity\":5}"),
                403,
                "authz.no_allow_match");
        noMeshCertificate();
        http(
                "no-token",
                "a shopper without a token",
                "anonymous -> frontend",
                List.of("frontend"),
                shopperCall(HttpMethod.GET, "/shop/orders/1001", null, null),
                403,
                "authz.token_required");
        http(
                "expired-token",
                "alice with an expired token",
                "alice -> frontend",
                List.of("frontend"),
                shopperCall(HttpMethod.GET, "/shop/orders/1001", aliceExpired, null),
                401,
                "jwt.expired");
        rateLimited(alice);
        renewal(alice);
        return List.copyOf(steps);
    }

    private String token(String user, boolean expired) {
        final AggregatedHttpResponse res = WebClient.builder(mesh.authUrl())
                .responseTimeout(RESPONSE_TIMEOUT)
                .build()
                .execute(
                        RequestHeaders.builder(HttpMethod.POST, "/token")
                                .contentType(MediaType.FORM_DATA)
                                .accept(MediaType.PLAIN_TEXT)
                                .build(),
                        "user=" + user + (expired ? "&expired=true" : ""))
                .aggregate()
                .join();
        if (res.status().code() != 200) {
            throw new IllegalStateException("auth: no token for " + user + ": " + res.status());
        }
        return res.contentUtf8().trim();
    }

    /** A call to be made, with its own trace id. */
    private record Call(WebClient client, HttpRequest request, String summary, String traceId, String target) {}

    private Call shopperCall(HttpMethod method, String path, @Nullable String token, @Nullable String json) {
        return call(shopper, method, null, path, token, json, "frontend");
    }

    /** A call made from inside the frontend's network namespace, to its sidecar's outbound listener. */
    private Call asFrontend(HttpMethod method, String service, String path, String token, String json) {
        final WebClient client = WebClient.builder(
                        "http://127.0.0.1:" + mesh.sidecar("frontend").outboundPort())
                .responseTimeout(RESPONSE_TIMEOUT)
                .build();
        return call(client, method, service, path, token, json, service);
    }

    private static Call call(
            WebClient client,
            HttpMethod method,
            @Nullable String authority,
            String path,
            @Nullable String token,
            @Nullable String json,
            String target) {
        final String traceId = HexFormat.of().formatHex(randomBytes(16));
        final RequestHeadersBuilder h = RequestHeaders.builder(method, path)
                .set("traceparent", "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01");
        if (authority != null) {
            h.authority(authority);
        }
        if (token != null) {
            h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        final HttpRequest req;
        if (json != null) {
            h.contentType(MediaType.JSON_UTF_8);
            req = HttpRequest.of(h.build(), HttpData.ofUtf8(json));
        } else {
            req = HttpRequest.of(h.build());
        }
        final String summary =
                method + " " + path + (token == null ? "" : "  (Bearer token)") + (json == null ? "" : "  " + json);
        return new Call(client, req, summary, traceId, target);
    }

    /** Makes the call and describes it as a step, without printing or keeping it. */
    private Step exchange(
            String key,
            String title,
            String path,
            List<String> hops,
            Call call,
            int expectedStatus,
            @Nullable String expectedReason) {
        int status;
        String body;
        try {
            final AggregatedHttpResponse res =
                    call.client().execute(call.request()).aggregate().join();
            status = res.status().code();
            body = res.contentUtf8().trim();
        } catch (RuntimeException e) {
            status = 0;
            body = "no response: " + rootCause(e);
        }
        final JsonNode json = parse(body);
        final String reason =
                json != null && json.hasNonNull("reason") ? json.get("reason").asText() : null;
        final String refusedBy = refusedBy(status, json, reason, call.target());
        final boolean ok = status == expectedStatus && (expectedReason == null || expectedReason.equals(reason));
        return new Step(
                steps.size() + 1,
                key,
                title,
                call.summary(),
                path,
                status,
                reason,
                refusedBy,
                call.traceId(),
                detail(status, body),
                expectedStatus + (expectedReason == null ? "" : " " + expectedReason),
                ok,
                hops,
                List.of(),
                "");
    }

    /** Makes the call, then prints and keeps the step. */
    private Step http(
            String key,
            String title,
            String path,
            List<String> hops,
            Call call,
            int expectedStatus,
            @Nullable String expectedReason) {
        return record(exchange(key, title, path, hops, call, expectedStatus, expectedReason));
    }

    /**
     * Which hop refused. The frontend app relays refusals from further down with their hop; otherwise a refusal with
     * a request id is a sidecar's: the called service's inbound sidecar for checks on the caller, the caller's own
     * sidecar for routing and upstream failures.
     */
    private static @Nullable String refusedBy(
            int status, @Nullable JsonNode json, @Nullable String reason, String target) {
        if (status < 400 || json == null) {
            return null;
        }
        if (json.hasNonNull("refused_by")) {
            final String hop = json.get("refused_by").asText();
            return reason != null ? possessive(hop) + " sidecar" : hop;
        }
        if (!json.hasNonNull("request_id") || reason == null) {
            return null;
        }
        return reason.startsWith("route.") || reason.startsWith("upstream.")
                ? "the caller's sidecar"
                : possessive(target) + " sidecar";
    }

    private static String possessive(String name) {
        return name.endsWith("s") ? name + "'" : name + "'s";
    }

    private void noMeshCertificate() {
        final int port = mesh.sidecar("orders").inboundPort();
        final String traceId = HexFormat.of().formatHex(randomBytes(16));
        int status;
        String detail;
        try (ClientFactory factory = ClientFactory.builder().tlsNoVerify().build()) {
            final AggregatedHttpResponse res = WebClient.builder("https://127.0.0.1:" + port)
                    .factory(factory)
                    .responseTimeout(RESPONSE_TIMEOUT)
                    .build()
                    .execute(RequestHeaders.builder(HttpMethod.POST, "/shop.v1.Orders/ListOrders")
                            .contentType(MediaType.parse("application/grpc"))
                            .build())
                    .aggregate()
                    .join();
            status = res.status().code();
            detail = "answered without a client certificate";
        } catch (RuntimeException e) {
            status = 0;
            detail = "TLS handshake refused: no client certificate, no request reaches policy or the app";
        }
        record(new Step(
                steps.size() + 1,
                "no-mesh-certificate",
                "a process without a mesh certificate calls orders' sidecar directly",
                "POST https://127.0.0.1:" + port + "/shop.v1.Orders/ListOrders  (TLS, no client certificate)",
                "outsider -> orders",
                status,
                null,
                status == 0 ? "orders' sidecar (mTLS)" : null,
                traceId,
                detail,
                "handshake refused",
                status == 0,
                List.of(),
                List.of(),
                ""));
    }

    private void rateLimited(String alice) {
        Step last = null;
        final List<String> attempts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            final Step s = exchange(
                    "rate-limited",
                    "alice keeps ordering: writes are limited to 3 a minute per user",
                    "alice -> frontend -> orders (CreateOrder)",
                    List.of("frontend", "orders"),
                    shopperCall(HttpMethod.POST, "/shop/orders", alice, "{\"sku\":\"tea\",\"quantity\":1}"),
                    429,
                    "ratelimit.exceeded");
            attempts.add(Integer.toString(s.status()));
            last = s;
            if (s.status() != 201) {
                break;
            }
        }
        // The loop ran at least once.
        final Step lastStep = requireNonNull(last, "last");
        record(new Step(
                steps.size() + 1,
                lastStep.key(),
                lastStep.title(),
                lastStep.call() + "  x" + attempts.size(),
                lastStep.path(),
                lastStep.status(),
                lastStep.reason(),
                lastStep.refusedBy(),
                lastStep.traceId(),
                "statuses " + String.join(", ", attempts) + "; last: " + lastStep.detail(),
                lastStep.expected(),
                lastStep.asExpected(),
                lastStep.hops(),
                List.of(),
                ""));
    }

    private void renewal(String alice) {
        // The certificate orders started with: its short lifetime means the renewal has often happened by now.
        final X509Svid before = mesh.firstSvid("orders");
        out.printf(
                Locale.ROOT,
                "%n%2d. orders' certificate is renewed while the mesh runs%n"
                        + "    orders started with serial %s, valid until %s; its sidecar renews at about half the"
                        + " lifetime ...%n",
                steps.size() + 1,
                serial(before),
                before.notAfter());
        final X509Svid after = mesh.awaitRenewal("orders", before, renewalTimeout);
        final Step call = exchange(
                "cert-renewal",
                "",
                "alice -> frontend -> orders (GetOrder)",
                List.of("frontend", "orders"),
                shopperCall(HttpMethod.GET, "/shop/orders/1002", alice, null),
                200,
                null);
        final boolean renewed = after != null
                && !after.leaf().getSerialNumber().equals(before.leaf().getSerialNumber());
        final String detail = (renewed && after != null
                        ? "renewed: serial " + serial(after) + " expires " + after.notAfter()
                        : "no renewal within " + renewalTimeout.toSeconds() + " s")
                + "; then alice reads an order through orders: " + call.status();
        final Step step = withEvidence(new Step(
                steps.size() + 1,
                "cert-renewal",
                "orders' certificate is renewed while the mesh runs",
                call.call(),
                call.path(),
                call.status(),
                call.reason(),
                call.refusedBy(),
                call.traceId(),
                detail,
                "renewed, then 200",
                renewed && call.asExpected(),
                call.hops(),
                List.of(),
                ""));
        steps.add(step);
        printOutcome(step);
    }

    private Step record(Step raw) {
        final Step step = withEvidence(raw);
        steps.add(step);
        out.printf(Locale.ROOT, "%n%2d. %s%n    %s%n    %s%n", step.number(), step.title(), step.path(), step.call());
        printOutcome(step);
        return step;
    }

    private void printOutcome(Step step) {
        final StringBuilder outcome = new StringBuilder("    => ");
        outcome.append(step.status() == 0 ? "refused" : Integer.toString(step.status()));
        if (step.reason() != null) {
            outcome.append(' ').append(step.reason());
        }
        if (step.refusedBy() != null) {
            outcome.append("  (refused by ").append(step.refusedBy()).append(')');
        }
        outcome.append(step.asExpected() ? "  [as expected]" : "  [UNEXPECTED: expected " + step.expected() + "]");
        out.println(outcome);
        out.println("       " + step.detail());
        if (!step.sidecarLog().isEmpty()) {
            out.println("       the sidecars' access logs (the caller saw only the reason code):");
            step.sidecarLog().forEach(line -> out.println("         " + line));
        }
        out.println(
                "       trace " + step.traceId() + (step.traceSummary().isEmpty() ? "" : ": " + step.traceSummary()));
    }

    /**
     * Adds what the sidecars recorded: their access-log lines for the step's trace, and which of them sent spans.
     * Both are written off the request path, so this waits briefly for them.
     */
    private Step withEvidence(Step step) {
        if (step.hops().isEmpty()) {
            return step;
        }
        final AccessLogs logs = mesh.accessLogs();
        final long deadline = System.nanoTime() + EVIDENCE_WAIT.toNanos();
        List<AccessLogs.Entry> entries = logs.inbound(step.traceId(), step.hops());
        List<TraceSink.SpanSummary> spans = spans(step.traceId());
        while ((entries.size() < step.hops().size()
                        || spanServices(spans).size() < step.hops().size())
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(POLL.toNanos());
            entries = logs.inbound(step.traceId(), step.hops());
            spans = spans(step.traceId());
        }
        final List<String> lines = new ArrayList<>();
        for (AccessLogs.Entry e : entries) {
            final StringBuilder b = new StringBuilder(
                    String.format(Locale.ROOT, "%-9s %-5s %-21s", e.service(), e.decision(), e.reason()));
            if (e.policy() != null && e.rule() != null) {
                b.append(" rule ").append(e.policy()).append('/').append(e.rule());
            }
            b.append(" peer ").append(e.peer() == null ? "(plaintext)" : e.peer());
            if (e.principal() != null) {
                b.append(" user ").append(e.principal());
            }
            if (e.rateLimit() != null) {
                b.append(" limit ").append(e.rateLimit());
            }
            if (e.auditRule() != null) {
                b.append("; audit: would deny by ").append(e.auditRule());
            }
            lines.add(b.toString());
        }
        final String trace =
                mesh.traceSink() == null ? "" : spans.size() + " spans from " + String.join(", ", spanServices(spans));
        return step.withEvidence(lines, trace);
    }

    private List<TraceSink.SpanSummary> spans(String traceId) {
        final TraceSink sink = mesh.traceSink();
        return sink == null ? List.of() : sink.spans(traceId);
    }

    private List<String> spanServices(List<TraceSink.SpanSummary> spans) {
        if (mesh.traceSink() == null) {
            return List.of("n/a", "n/a", "n/a");
        }
        return spans.stream()
                .map(TraceSink.SpanSummary::service)
                .distinct()
                .sorted()
                .toList();
    }

    private static String detail(int status, String body) {
        final String oneLine = body.replace('\n', ' ');
        return oneLine.length() > 160 ? oneLine.substring(0, 157) + "..." : oneLine;
    }

    private static @Nullable JsonNode parse(String body) {
        try {
            final String first = body.contains("\n") ? body.substring(0, body.indexOf('\n')) : body;
            final JsonNode n = JSON.readTree(first);
            return n != null && n.isObject() ? n : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String serial(X509Svid svid) {
        final String hex = svid.leaf().getSerialNumber().toString(16);
        return hex.length() > 12 ? hex.substring(0, 12) + "..." : hex;
    }

    private static byte[] randomBytes(int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName();
    }
}
