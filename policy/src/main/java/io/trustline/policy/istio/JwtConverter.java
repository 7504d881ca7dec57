package io.trustline.policy.istio;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.istio.Values.InvalidInput;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Converts the {@code jwtRules} of an Istio RequestAuthentication into Trustline {@code jwt} issuers. An issuer
 * that cannot be converted, or a token location Trustline does not read, stops the import: the sidecar looks for
 * tokens only where its service's issuers read them, so such a token would go unseen and the request look anonymous,
 * which could let through what a DENY rule on the token would refuse.
 */
final class JwtConverter {

    /**
     * The issuers, the inline JWKS documents to write next to the policy (file name to content), and the claims
     * Istio splits on spaces for this resource.
     */
    record Result(List<Map<String, Object>> issuers, Map<String, String> jwksFiles, Set<String> spaceDelimited) {}

    private final Report report;
    private final String file;

    JwtConverter(Report report, String file) {
        this.report = report;
        this.file = file;
    }

    /** @param filePrefix the start of inline JWKS file names, unique per resource and service */
    Result convert(YamlMap spec, String filePrefix) throws InvalidInput {
        List<Map<String, Object>> issuers = new ArrayList<>();
        Map<String, String> files = new LinkedHashMap<>();
        Set<String> spaceDelimited = new LinkedHashSet<>();
        List<YamlNode> rules = Values.items(spec.get("jwtRules"), "jwtRules");
        for (int i = 0; i < rules.size(); i++) {
            String prefix = "jwtRules[" + i + "]";
            YamlMap r = Values.map(rules.get(i), prefix);
            Map<String, Object> issuer = issuer(r, prefix, filePrefix + "." + i + ".jwks.json", files);
            spaceDelimited.addAll(Values.strings(r.get("spaceDelimitedClaims"), prefix + ".spaceDelimitedClaims"));
            if (issuer != null) {
                issuers.add(issuer);
            }
        }
        return new Result(issuers, files, spaceDelimited);
    }

    private @Nullable Map<String, Object> issuer(YamlMap r, String prefix, String jwksFile, Map<String, String> files)
            throws InvalidInput {
        String iss = Values.optionalString(r, "issuer", prefix + ".issuer");
        if (iss == null) {
            throw new InvalidInput(r, prefix + ": missing required field 'issuer'");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("issuer", iss);
        List<String> audiences = Values.strings(r.get("audiences"), prefix + ".audiences");
        if (audiences.isEmpty()) {
            return leftOut(
                    r, prefix + ".audiences", "no audiences: Trustline requires the audiences a token must name");
        }
        out.put("audiences", audiences);
        String jwksUri = Values.optionalString(r, "jwksUri", prefix + ".jwksUri");
        String jwks = Values.optionalString(r, "jwks", prefix + ".jwks");
        if (jwksUri != null) {
            out.put("jwksUri", jwksUri);
        } else if (jwks != null) {
            files.put(jwksFile, jwks);
            out.put("jwksFile", jwksFile);
        } else {
            return leftOut(
                    r,
                    prefix,
                    "neither jwksUri nor jwks: Istio would find the keys through OpenID discovery, Trustline needs"
                            + " jwksUri");
        }
        List<Map<String, Object>> fromHeaders = new ArrayList<>();
        for (YamlNode h : Values.items(r.get("fromHeaders"), prefix + ".fromHeaders")) {
            YamlMap m = Values.map(h, prefix + ".fromHeaders");
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("name", Values.optionalString(m, "name", prefix + ".fromHeaders.name"));
            String p = Values.optionalString(m, "prefix", prefix + ".fromHeaders.prefix");
            if (p != null) {
                header.put("prefix", p);
            }
            fromHeaders.add(header);
        }
        if (!fromHeaders.isEmpty()) {
            out.put("fromHeaders", fromHeaders);
        }
        List<String> params = Values.strings(r.get("fromParams"), prefix + ".fromParams");
        if (fromHeaders.isEmpty() && params.isEmpty() && !r.has("fromCookies")) {
            // Istio's default locations: the Authorization header (Trustline's default too) and this parameter.
            out.put("fromQuery", "access_token");
            report.add(
                    file,
                    r,
                    Finding.Effect.NOTE,
                    prefix,
                    "no token location: Istio reads a token from 'Authorization: Bearer' and from the query"
                            + " parameter access_token, so the issuer gets fromQuery: access_token (tokens in URLs"
                            + " end up in logs: give fromHeaders in the input if no client sends one there)");
        } else if (params.size() == 1) {
            out.put("fromQuery", params.get(0));
        } else if (params.size() > 1) {
            unseenTokens(
                    requireNonNull(r.get("fromParams"), "fromParams"),
                    prefix + ".fromParams",
                    "Trustline reads a token from one query parameter");
        }
        if (r.has("fromCookies")) {
            unseenTokens(
                    requireNonNull(r.get("fromCookies"), "fromCookies"),
                    prefix + ".fromCookies",
                    "Trustline does not read tokens from cookies");
        }
        Map<String, String> claimsToHeaders = new LinkedHashMap<>();
        for (YamlNode c : Values.items(r.get("outputClaimToHeaders"), prefix + ".outputClaimToHeaders")) {
            YamlMap m = Values.map(c, prefix + ".outputClaimToHeaders");
            String header = Values.optionalString(m, "header", prefix + ".outputClaimToHeaders.header");
            String claim = Values.optionalString(m, "claim", prefix + ".outputClaimToHeaders.claim");
            if (header == null || claim == null) {
                throw new InvalidInput(c, prefix + ".outputClaimToHeaders: expected header and claim");
            }
            if (claimsToHeaders.putIfAbsent(claim, header) != null) {
                report.add(
                        file,
                        c,
                        Finding.Effect.DROPPED,
                        prefix + ".outputClaimToHeaders",
                        "claim '" + claim + "' is copied into one header only in Trustline; '" + header
                                + "' is not set for the app (decisions are the same)");
            }
        }
        if (!claimsToHeaders.isEmpty()) {
            out.put("claimsToHeaders", claimsToHeaders);
        }
        // Istio's default is not to forward the token; Trustline's is to forward it.
        YamlNode forward = r.get("forwardOriginalToken");
        out.put("forwardToken", forward instanceof YamlScalar s && s.text().equalsIgnoreCase("true"));
        String timeout = Values.optionalString(r, "timeout", prefix + ".timeout");
        if (timeout != null) {
            out.put("jwksCache", Map.of("fetchTimeout", timeout));
        }
        if (r.has("outputPayloadToHeader")) {
            report.add(
                    file,
                    requireNonNull(r.get("outputPayloadToHeader"), "outputPayloadToHeader"),
                    Finding.Effect.DROPPED,
                    prefix + ".outputPayloadToHeader",
                    "Trustline does not pass the token's payload in a header (claimsToHeaders copies single claims);"
                            + " the app does not get it, decisions are the same");
        }
        for (YamlMap.Entry e : r.entries().values()) {
            if (!Set.of(
                            "issuer",
                            "audiences",
                            "jwksUri",
                            "jwks",
                            "fromHeaders",
                            "fromParams",
                            "fromCookies",
                            "outputClaimToHeaders",
                            "outputPayloadToHeader",
                            "forwardOriginalToken",
                            "timeout",
                            "spaceDelimitedClaims")
                    .contains(e.key())) {
                return leftOut(e.value(), prefix + "." + e.key(), "not a field of an Istio JWT rule");
            }
        }
        return out;
    }

    private @Nullable Map<String, Object> leftOut(YamlNode at, String field, String why) {
        // Not "its tokens are refused": a sidecar looks for tokens only where its service's issuers read them, so
        // without this issuer its tokens could go unseen and the request look anonymous.
        report.add(
                file,
                at,
                Finding.Effect.FATAL,
                field,
                why + "; leaving the issuer out, its tokens could go unverified and the request look anonymous,"
                        + " which a DENY rule on the token's principal or claims would not see; complete the input");
        return null;
    }

    private void unseenTokens(YamlNode at, String field, String why) {
        report.add(
                file,
                at,
                Finding.Effect.FATAL,
                field,
                why + ": a token sent there would go unverified and the request look anonymous, so a DENY rule on"
                        + " the token's principal or claims would not see it; remove the field from the input if"
                        + " tokens never come that way");
    }
}
