package io.trustline.policy.model;

/** Where a policy or rule was written, for explanations and logs. */
public record Origin(String file, int line, int column) {

    public static final Origin PROGRAMMATIC = new Origin("<code>", 0, 0);

    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column : file;
    }
}
