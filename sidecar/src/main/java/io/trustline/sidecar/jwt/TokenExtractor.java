package io.trustline.sidecar.jwt;

import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.RequestHeaders;
import io.netty.util.AsciiString;
import io.trustline.policy.model.TokenSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Finds the token of a request in the places the service's issuers read tokens from: headers with a prefix
 * ({@code Authorization: Bearer} by default) and, only where an issuer enables it, a query parameter. More than one
 * token, wherever they are, is {@link #MULTIPLE}: which one would count is exactly the ambiguity an attacker wants.
 */
final class TokenExtractor {

    /** Returned when the request carries more than one token. */
    static final FoundToken MULTIPLE = new FoundToken("", null, null);

    /** The prefixes read from one header, longest first. */
    record HeaderSource(AsciiString name, List<TokenSource> sources) {

        static List<HeaderSource> of(List<TokenSource> all) {
            final Map<String, List<TokenSource>> byName = new LinkedHashMap<>();
            for (TokenSource s : all) {
                final List<TokenSource> list = byName.computeIfAbsent(s.header(), k -> new ArrayList<>());
                if (!list.contains(s)) {
                    list.add(s);
                }
            }
            final List<HeaderSource> out = new ArrayList<>(byName.size());
            byName.forEach((name, list) -> {
                list.sort(Comparator.comparingInt((TokenSource s) -> s.prefix().length())
                        .reversed());
                out.add(new HeaderSource(AsciiString.cached(name), List.copyOf(list)));
            });
            return List.copyOf(out);
        }

        /** The source whose prefix {@code value} starts with (case-insensitively), or null: not a token for us. */
        @Nullable
        TokenSource match(String value) {
            for (TokenSource s : sources) {
                final String p = s.prefix();
                if (value.regionMatches(true, 0, p, 0, p.length())) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * The one token of the request, {@link #MULTIPLE}, or null when there is none.
     *
     * @param query the raw query string, or null (then no query parameter is looked at)
     */
    static @Nullable FoundToken find(
            RequestHeaders headers, @Nullable String query, List<HeaderSource> sources, List<String> queryParams) {
        FoundToken found = null;
        for (int i = 0; i < sources.size(); i++) {
            final HeaderSource hs = sources.get(i);
            final Iterator<String> values = headers.valueIterator(hs.name());
            while (values.hasNext()) {
                final String value = values.next();
                final TokenSource source = hs.match(value);
                if (source == null) {
                    continue;
                }
                if (found != null) {
                    return MULTIPLE;
                }
                found = FoundToken.inHeader(value, source);
            }
        }
        if (query != null && !queryParams.isEmpty()) {
            final QueryParams params = QueryParams.fromQueryString(query);
            for (String name : queryParams) {
                for (String value : params.getAll(name)) {
                    if (found != null) {
                        return MULTIPLE;
                    }
                    found = new FoundToken(value, null, name);
                }
            }
        }
        return found;
    }

    /** {@code query} without any of the parameters in {@code names} (null when nothing is left). */
    static @Nullable String withoutParams(String query, List<String> names) {
        final StringBuilder sb = new StringBuilder(query.length());
        int start = 0;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = query.length();
            }
            final String pair = query.substring(start, end);
            final int eq = pair.indexOf('=');
            final String rawName = eq < 0 ? pair : pair.substring(0, eq);
            if (!pair.isEmpty() && !names.contains(decodedName(rawName))) {
                if (sb.length() > 0) {
                    sb.append('&');
                }
                sb.append(pair);
            }
            start = end + 1;
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static String decodedName(String raw) {
        final QueryParams p = QueryParams.fromQueryString(raw + '=');
        return p.isEmpty() ? raw : p.names().iterator().next();
    }

    private TokenExtractor() {}
}
