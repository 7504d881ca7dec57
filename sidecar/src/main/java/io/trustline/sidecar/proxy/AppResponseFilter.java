package io.trustline.sidecar.proxy;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.ResponseHeaders;
import java.util.function.Function;

/**
 * The app's response as the inbound listener passes it on: the final response headers scrubbed of fingerprints
 * ({@link ProxyHeaders#scrubResponse}) and, for an HTTP/1 app, the chunk that completes the {@code Content-Length}
 * the app declared marked as the end of the stream.
 *
 * <p>Why the mark: Armeria's HTTP/1 client publishes a response's last chunk and then, separately, the end of the
 * stream. Armeria's server writes and flushes each signal on its own, so the end became an empty HTTP/2 DATA frame
 * of its own: one more TLS record and one more socket write per response, on both sidecars. Marked, the last chunk
 * carries END_STREAM and the response ends with it.
 *
 * <p>Only for an HTTP/1 app: there, a body framed by {@code Content-Length} cannot be followed by trailers (those
 * need chunked coding, and Netty's decoder drops {@code Content-Length} when both are sent), and the decoder hands
 * on exactly the declared number of bytes. An HTTP/2 app's client already marks its last DATA frame, and there a
 * body with a length may still be followed by trailers, which an early mark would drop. A response without a
 * length, or whose length no chunk completes (a HEAD answer, a 304), ends as before.
 */
final class AppResponseFilter implements Function<HttpObject, HttpObject> {

    private final boolean markLastChunk;
    private long remaining = -1;

    private AppResponseFilter(boolean markLastChunk) {
        this.markLastChunk = markLastChunk;
    }

    /** {@code res} with the filter applied, one filter per response (it counts the body's bytes). */
    static HttpResponse apply(HttpResponse res, boolean http1App) {
        return HttpResponse.of(res.map(new AppResponseFilter(http1App)));
    }

    @Override
    public HttpObject apply(HttpObject obj) {
        if (obj instanceof ResponseHeaders headers) {
            if (headers.status().isInformational()) {
                return obj;
            }
            if (markLastChunk) {
                final Long length = headers.getLong(HttpHeaderNames.CONTENT_LENGTH);
                remaining = length != null && length > 0 ? length : -1;
            }
            return ProxyHeaders.scrubResponse(headers);
        }
        if (remaining > 0 && obj instanceof HttpData data && !data.isEndOfStream()) {
            remaining -= data.length();
            if (remaining == 0) {
                return data.withEndOfStream();
            }
        }
        return obj;
    }
}
