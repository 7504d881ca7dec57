package io.trustline.sidecar.request;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.sidecar.config.HygieneConfig;
import io.trustline.sidecar.edge.RequestLimitsService;
import io.trustline.sidecar.inbound.AuthorizationService;
import io.trustline.sidecar.inbound.RequestHygieneService;
import io.trustline.sidecar.refusal.RefusalErrorHandler;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reload that lands while a request is between two policy stages: the request limits stage has read the policy,
 * a stand-in for the reload swaps the policy in force, then authorization decides. Version 1 allows every path,
 * version 2 only {@code /admin}.
 */
class RequestPolicyTest {

    private static final PolicyEngine ALLOW_ALL = engine("v1", "[{name: all, action: allow}]");
    private static final PolicyEngine ADMIN_ONLY =
            engine("v2", "[{name: admin-only, action: allow, to: {paths: [\"/admin\"]}}]");

    private static final AtomicReference<PolicyEngine> inForce = new AtomicReference<>(ALLOW_ALL);
    private static final Supplier<ServicePolicy> policy = () -> inForce.get().forService("orders");

    @RegisterExtension
    static final ServerExtension server = new ServerExtension() {
        @Override
        protected void configure(ServerBuilder sb) {
            HttpService chain = (ctx, req) -> HttpResponse.of(HttpStatus.OK);
            chain = AuthorizationService.newDecorator(policy).apply(chain);
            chain = reloadStandIn().apply(chain);
            chain = RequestLimitsService.newDecorator(policy, new SimpleMeterRegistry())
                    .apply(chain);
            chain = RequestHygieneService.newDecorator(0, HygieneConfig.DEFAULT, new SimpleMeterRegistry())
                    .apply(chain);
            sb.serviceUnder("/", chain);
            sb.errorHandler(new RefusalErrorHandler());
        }
    };

    private static PolicyEngine engine(String version, String rules) {
        try {
            return PolicyEngine.compile(
                    PolicyParser.parse(
                            "orders.yaml",
                            "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: orders}\nspec:\n"
                                    + "  service: orders\n  requestLimits: {maxQueryParams: 5}\n  rules: " + rules
                                    + "\n",
                            Path.of(".")),
                    version);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Swaps version 2 in when a request says so, after the stages before it have read the policy. */
    private static java.util.function.Function<HttpService, HttpService> reloadStandIn() {
        return delegate -> new SimpleDecoratingHttpService(delegate) {
            @Override
            public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
                if (req.headers().contains("x-test-reload")) {
                    inForce.set(ADMIN_ONLY);
                }
                return unwrap().serve(ctx, req);
            }
        };
    }

    private static AggregatedHttpResponse get(String path, boolean reload) {
        final RequestHeaders headers = reload
                ? RequestHeaders.builder(HttpMethod.GET, path)
                        .add("x-test-reload", "1")
                        .build()
                : RequestHeaders.of(HttpMethod.GET, path);
        return WebClient.of(server.httpUri()).execute(headers).aggregate().join();
    }

    @BeforeEach
    void versionOneInForce() {
        inForce.set(ALLOW_ALL);
    }

    @Test
    void aRequestIsJudgedWholeByTheVersionInForceWhenItsFirstPolicyStageRan() {
        assertThat(get("/orders", true).status()).isEqualTo(HttpStatus.OK);
        assertThat(inForce.get()).isSameAs(ADMIN_ONLY);
        final AggregatedHttpResponse next = get("/orders", false);
        assertThat(next.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(next.contentUtf8()).contains("\"reason\":\"authz.no_allow_match\"");
    }

    @Test
    void theFirstReadPinsTheVersionForTheRestOfTheRequest() {
        final ServiceRequestContext ctx = ServiceRequestContext.of(HttpRequest.of(HttpMethod.GET, "/"));
        final ServicePolicy first = RequestPolicy.of(ctx, policy);
        inForce.set(ADMIN_ONLY);
        assertThat(RequestPolicy.of(ctx, policy)).isSameAs(first);
        assertThat(first.version()).isEqualTo("v1");
        final ServiceRequestContext other = ServiceRequestContext.of(HttpRequest.of(HttpMethod.GET, "/"));
        assertThat(RequestPolicy.of(other, policy).version()).isEqualTo("v2");
    }
}
