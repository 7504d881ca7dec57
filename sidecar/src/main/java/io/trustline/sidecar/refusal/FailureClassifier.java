package io.trustline.sidecar.refusal;

import org.jspecify.annotations.Nullable;

/**
 * The causes of a failed request that one part of the sidecar knows how to name, such as the proxy's upstream
 * failures. {@link Refusals#classify} asks it after the causes every listener shares, so {@code refusal} owns the
 * order of classification without depending on the parts that supply causes.
 */
@FunctionalInterface
public interface FailureClassifier {

    /** Knows no cause beyond the shared ones. */
    FailureClassifier NONE = cause -> null;

    /** The refusal for {@code cause}, or null when this classifier does not know it. */
    @Nullable
    Refusal refusalFor(Throwable cause);
}
