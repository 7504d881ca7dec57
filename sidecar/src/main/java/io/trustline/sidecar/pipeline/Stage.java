package io.trustline.sidecar.pipeline;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.HttpService;
import io.trustline.sidecar.overload.ConcurrencyLimitingService;
import java.util.function.Function;

/**
 * One stage's decorator, typed by the slot it fills: {@code S} is the stage's service class ({@code
 * Stage<CorsService>}), or a slot type of {@link InboundPipeline} where one class serves two slots (the two
 * rate-limit stages). A pipeline's slots have distinct types, so handing a stage to the wrong slot, or swapping two,
 * does not compile.
 *
 * @param <S> the slot this stage fills
 */
public final class Stage<S> {

    private static final Stage<?> NONE = new Stage<>(Function.identity());

    private final Function<? super HttpService, ? extends HttpService> decorator;

    private Stage(Function<? super HttpService, ? extends HttpService> decorator) {
        this.decorator = requireNonNull(decorator, "decorator");
    }

    /** The stage a decorator makes, in the slot of the service class it returns. */
    public static <S extends HttpService> Stage<S> of(Function<? super HttpService, S> decorator) {
        return new Stage<>(decorator);
    }

    /**
     * The overload slot left empty ({@code maxConcurrentRequests: 0}): the chain goes straight on. It is the only slot
     * that may be empty, so the wiring cannot leave out a security stage.
     */
    public static Stage<ConcurrencyLimitingService> noOverloadProtection() {
        return none();
    }

    @SuppressWarnings("unchecked") // S only names a slot; no value of type S is held, so one instance serves all
    static <S> Stage<S> none() {
        return (Stage<S>) NONE;
    }

    /**
     * Any decorator in the slot of {@code S}: for the slot types of this package (one service class, two slots) and
     * for the stand-ins of the tests that pin the order. Not public, so that the wiring outside this package can only
     * fill a slot with the stage its type names.
     */
    static <S> Stage<S> inSlot(Function<? super HttpService, ? extends HttpService> decorator) {
        return new Stage<>(decorator);
    }

    HttpService apply(HttpService delegate) {
        return decorator.apply(delegate);
    }
}
