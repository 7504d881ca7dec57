package io.trustline.policy.model;

import java.util.List;

/**
 * A rule's {@code from}: who is calling. Fields are ANDed; the values of one field are ORed; a
 * {@code notX} field holds when the request's value matches none of its values (also when the
 * request has no such value). An empty list means "not constrained": the file format rejects
 * empty lists, so in a parsed policy empty always stands for an absent field.
 *
 * @param principals the peer's SPIFFE ID (from mTLS) matches one of these; a plaintext peer has
 *     none and never matches
 * @param notPrincipals the peer's SPIFFE ID matches none of these
 * @param requestPrincipals {@code iss/sub} of the request's verified JWT matches one of these; a
 *     request without a verified token never matches
 * @param notRequestPrincipals {@code iss/sub} matches none of these
 * @param ipBlocks the source address lies in one of these blocks
 * @param notIpBlocks the source address lies in none of these blocks
 */
public record Source(
        List<StringMatch> principals,
        List<StringMatch> notPrincipals,
        List<StringMatch> requestPrincipals,
        List<StringMatch> notRequestPrincipals,
        List<IpBlock> ipBlocks,
        List<IpBlock> notIpBlocks) {

    public static final Source ANY = new Source(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

    public Source {
        principals = List.copyOf(principals);
        notPrincipals = List.copyOf(notPrincipals);
        requestPrincipals = List.copyOf(requestPrincipals);
        notRequestPrincipals = List.copyOf(notRequestPrincipals);
        ipBlocks = List.copyOf(ipBlocks);
        notIpBlocks = List.copyOf(notIpBlocks);
    }

    /** A source constrained only by peer principals (patterns as in files). */
    public static Source ofPrincipals(String... patterns) {
        return new Source(
                List.of(patterns).stream().map(StringMatch::parse).toList(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
    }

    public boolean isAny() {
        return equals(ANY);
    }
}
