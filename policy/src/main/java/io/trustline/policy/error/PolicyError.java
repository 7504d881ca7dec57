package io.trustline.policy.error;

import static java.util.Objects.requireNonNull;

/**
 * One problem found in a policy or cases file, with the position it refers to. Rendered as {@code
 * file:line:column: message}, the form compilers use, so editors and CI logs can jump to it.
 *
 * @param file the file as the user named it (relative to the policy directory when loaded from one)
 * @param line 1-based line, or 0 when the problem concerns the whole file
 * @param column 1-based column, or 0 when the problem concerns the whole file
 * @param message what is wrong, naming the value and the expectation
 */
public record PolicyError(String file, int line, int column, String message) implements Comparable<PolicyError> {

    public PolicyError {
        requireNonNull(file, "file");
        requireNonNull(message, "message");
    }

    /** A problem about a whole file (unreadable, for example) rather than a position in it. */
    public static PolicyError ofFile(String file, String message) {
        return new PolicyError(file, 0, 0, message);
    }

    @Override
    public int compareTo(PolicyError o) {
        int c = file.compareTo(o.file);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(line, o.line);
        return c != 0 ? c : Integer.compare(column, o.column);
    }

    @Override
    public String toString() {
        return line > 0 ? file + ':' + line + ':' + column + ": " + message : file + ": " + message;
    }
}
