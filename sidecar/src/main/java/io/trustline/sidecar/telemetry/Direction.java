package io.trustline.sidecar.telemetry;

/** Which listener saw a call: inbound (from a peer sidecar, to our app) or outbound (from our app, to a peer). */
public enum Direction {
    INBOUND("inbound"),
    OUTBOUND("outbound");

    private final String tag;

    Direction(String tag) {
        this.tag = tag;
    }

    /** The value in metrics tags, log lines and span attributes. */
    public String tag() {
        return tag;
    }
}
