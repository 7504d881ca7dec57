package io.trustline.sidecar.proxy;

import com.linecorp.armeria.common.RequestHeaders;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;

/** Reads the gRPC {@code grpc-timeout} header so the sidecar enforces the caller's deadline too. */
public final class GrpcDeadlines {

    public static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");

    /** Max digits allowed by the gRPC spec for the timeout value. */
    private static final int MAX_DIGITS = 8;

    /**
     * The caller's deadline in milliseconds (at least 1), or -1 when there is none or it is malformed (the app then
     * decides, as it would without a proxy).
     */
    public static long timeoutMillis(RequestHeaders headers) {
        final String value = headers.get(GRPC_TIMEOUT);
        if (value == null || value.length() < 2 || value.length() > MAX_DIGITS + 1) {
            return -1;
        }
        final long amount;
        try {
            amount = Long.parseLong(value, 0, value.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
        if (amount < 0) {
            return -1;
        }
        final long nanos;
        switch (value.charAt(value.length() - 1)) {
            case 'H':
                nanos = TimeUnit.HOURS.toNanos(amount);
                break;
            case 'M':
                nanos = TimeUnit.MINUTES.toNanos(amount);
                break;
            case 'S':
                nanos = TimeUnit.SECONDS.toNanos(amount);
                break;
            case 'm':
                nanos = TimeUnit.MILLISECONDS.toNanos(amount);
                break;
            case 'u':
                nanos = TimeUnit.MICROSECONDS.toNanos(amount);
                break;
            case 'n':
                nanos = amount;
                break;
            default:
                return -1;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
    }

    private GrpcDeadlines() {}
}
