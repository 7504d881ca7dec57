package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SanitizeTest {

    @Test
    void replacesControlCharactersSoALogLineStaysOneLine() {
        assertThat(Sanitize.forLog("iss\nforged=1\u007f")).isEqualTo("iss?forged=1?");
    }

    @Test
    void cutsLongTextAndSaysSo() {
        final String logged = Sanitize.forLog("a".repeat(Sanitize.MAX_LOGGED_CHARS + 1));

        assertThat(logged).hasSize(Sanitize.MAX_LOGGED_CHARS + 3).endsWith("a...");
    }

    @Test
    void logsAnExceptionWithoutMessageAsEmptyInsteadOfThrowing() {
        // Exception messages may be null (Throwable#getMessage), and rejections log them through forLog.
        assertThat(Sanitize.forLog(null)).isEmpty();
    }
}
