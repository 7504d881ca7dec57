package io.trustline.policy.istio;

import io.trustline.policy.yaml.Location;

/**
 * One thing the importer reports about its input, at the position of the Istio field it is about.
 *
 * @param effect what the finding means for the converted policies
 * @param field the Istio field, e.g. {@code rules[0].to[1].operation.hosts}
 * @param message why, and what the converted policies do instead
 */
public record Finding(String file, Location location, Effect effect, String field, String message)
        implements Comparable<Finding> {

    /** What a finding does to the result, and so to the exit code. */
    public enum Effect {
        /** Converted, with something worth knowing (an allow-all written out, a resource skipped). */
        NOTE,
        /**
         * Not converted; the converted policies deny some requests that Istio allows (or decide the same): an ALLOW
         * alternative left out, a DENY condition left out (the DENY applies more widely). Written only with {@code
         * --allow-partial}.
         */
        DROPPED,
        /**
         * Not converted, and leaving it out could allow requests that Istio denies (a DENY or CUSTOM policy or a
         * JWT issuer that cannot be converted or placed), or the input cannot be read. Nothing is ever written.
         */
        FATAL
    }

    @Override
    public int compareTo(Finding o) {
        int c = file.compareTo(o.file);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(location.line(), o.location.line());
        return c != 0 ? c : Integer.compare(location.column(), o.location.column());
    }

    /** {@code file:line:column: cannot convert: field: message}, or {@code note:} for a note. */
    @Override
    public String toString() {
        String where = location.line() > 0 ? file + ":" + location + ": " : file + ": ";
        String kind = effect == Effect.NOTE ? "note: " : "cannot convert: ";
        return where + kind + (field.isEmpty() ? "" : field + ": ") + message;
    }
}
