package io.trustline.policy.model;

import java.util.List;
import java.util.Map;

/**
 * A rule's {@code to}: what is being called. Same combination rules as {@link Source}: fields
 * ANDed, values ORed, {@code notX} negated, empty = not constrained.
 *
 * @param methods the HTTP method is one of these (gRPC calls are POST)
 * @param notMethods the HTTP method is none of these
 * @param paths the normalised path (without query) matches one of these patterns
 * @param notPaths the normalised path matches none of these
 * @param grpc the call is gRPC and its {@code package.Service/Method} matches one of these; a
 *     non-gRPC request never matches
 * @param notGrpc the call is not gRPC, or its method matches none of these
 * @param headers for every named header (lower-case names), the request's value matches one of
 *     the patterns; a missing header never matches, not even {@code *}
 * @param notHeaders for every named header, the header is missing or matches none of the patterns
 * @param pathRegex DENY rules only: one of the regular expressions occurs in the normalised, fully
 *     percent-decoded path
 * @param queryRegex DENY rules only: for every named query parameter ({@code *}: any parameter), one of
 *     its decoded values contains a match of one of the regular expressions; a missing parameter never matches
 * @param headerRegex DENY rules only: for every named header (lower case), one of its values contains a
 *     match of one of the regular expressions; a missing header never matches
 */
public record Target(
        List<String> methods,
        List<String> notMethods,
        List<StringMatch> paths,
        List<StringMatch> notPaths,
        List<StringMatch> grpc,
        List<StringMatch> notGrpc,
        Map<String, List<StringMatch>> headers,
        Map<String, List<StringMatch>> notHeaders,
        List<RegexMatch> pathRegex,
        Map<String, List<RegexMatch>> queryRegex,
        Map<String, List<RegexMatch>> headerRegex) {

    /** The {@code queryRegex} key that stands for every query parameter. */
    public static final String ANY_PARAM = "*";

    public static final Target ANY =
            new Target(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Map.of(), Map.of());

    /** A target without regular expressions. */
    public Target(
            List<String> methods,
            List<String> notMethods,
            List<StringMatch> paths,
            List<StringMatch> notPaths,
            List<StringMatch> grpc,
            List<StringMatch> notGrpc,
            Map<String, List<StringMatch>> headers,
            Map<String, List<StringMatch>> notHeaders) {
        this(methods, notMethods, paths, notPaths, grpc, notGrpc, headers, notHeaders, List.of(), Map.of(), Map.of());
    }

    public Target {
        methods = List.copyOf(methods);
        notMethods = List.copyOf(notMethods);
        paths = List.copyOf(paths);
        notPaths = List.copyOf(notPaths);
        grpc = List.copyOf(grpc);
        notGrpc = List.copyOf(notGrpc);
        headers = copy(headers);
        notHeaders = copy(notHeaders);
        pathRegex = List.copyOf(pathRegex);
        queryRegex = copy(queryRegex);
        headerRegex = copy(headerRegex);
    }

    /** Whether any regular expression is part of this target (only DENY rules may have one). */
    public boolean hasRegex() {
        return !pathRegex.isEmpty() || !queryRegex.isEmpty() || !headerRegex.isEmpty();
    }

    /** A target constrained by methods and path patterns (either may be empty for "any"). */
    public static Target of(List<String> methods, List<String> paths) {
        return new Target(
                methods,
                List.of(),
                paths.stream().map(StringMatch::parse).toList(),
                List.of(),
                List.of(),
                List.of(),
                Map.of(),
                Map.of());
    }

    public boolean isAny() {
        return equals(ANY);
    }

    private static <T> Map<String, List<T>> copy(Map<String, List<T>> m) {
        // Keep file order for explanations; LinkedHashMap wrapped read-only.
        java.util.LinkedHashMap<String, List<T>> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }
}
