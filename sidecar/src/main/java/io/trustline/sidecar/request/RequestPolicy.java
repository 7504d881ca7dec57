package io.trustline.sidecar.request;

import com.linecorp.armeria.common.RequestContext;
import io.netty.util.AttributeKey;
import io.trustline.policy.engine.ServicePolicy;
import java.util.function.Supplier;

/**
 * The version of the service's policy one request is judged by. The first stage that reads the policy takes the
 * version in force and pins it on the request; every later stage of that request reads the pinned one. So a reload
 * that lands while a request is in the pipeline cannot make its request limits, CORS, authorization and deprecation
 * come from two versions; the next request sees the new version.
 *
 * <p>Stages that keep state across versions (JWT verifiers and key sets, rate-limit buckets, the penalty box) are not
 * pinned: they follow the newest version, since going back to an older one would reopen key sets and buckets a
 * reload already dropped.
 */
public final class RequestPolicy {

    private static final AttributeKey<ServicePolicy> ATTR = AttributeKey.valueOf(RequestPolicy.class, "ATTR");

    /**
     * The policy of the current request: the pinned one, or else {@code inForce}'s, pinned from now on.
     *
     * @param inForce the service's policy in force (a {@code PolicyStore.forService} supplier)
     */
    public static ServicePolicy of(RequestContext ctx, Supplier<ServicePolicy> inForce) {
        final ServicePolicy pinned = ctx.attr(ATTR);
        if (pinned != null) {
            return pinned;
        }
        final ServicePolicy current = inForce.get();
        ctx.setAttr(ATTR, current);
        return current;
    }

    private RequestPolicy() {}
}
