package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenHashTest {

    private static TokenHash sha256Of(byte[] bytes) throws Exception {
        final byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
        final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d);
        return new TokenHash(b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    @Test
    void isTheSha256OfTheTokensBytes() throws Exception {
        assertThat(TokenHash.of("abc.def.ghi")).isEqualTo(sha256Of("abc.def.ghi".getBytes("ISO-8859-1")));
        assertThat(TokenHash.of("")).isEqualTo(sha256Of(new byte[0]));
    }

    @Test
    void aRangeHashesAsTheSameTextCutOut() {
        final Random random = new Random(18);
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append((char) (0x21 + random.nextInt(0x5e)));
        }
        final String text = sb.toString();
        for (int n = 0; n < 200; n++) {
            final int start = random.nextInt(text.length());
            final int end = start + random.nextInt(text.length() - start + 1);
            assertThat(TokenHash.of(text, start, end)).isEqualTo(TokenHash.of(text.substring(start, end)));
        }
    }

    @Test
    void aLongTokenThenAShortOneLeaveNothingBehindInTheReusedBytes() throws Exception {
        final String longToken = "x".repeat(20_000);
        assertThat(TokenHash.of(longToken)).isEqualTo(sha256Of(longToken.getBytes("ISO-8859-1")));
        assertThat(TokenHash.of("xy")).isEqualTo(sha256Of("xy".getBytes("ISO-8859-1")));
        assertThat(TokenHash.of("x".repeat(3000), 1, 3000)).isEqualTo(TokenHash.of("x".repeat(2999)));
    }

    @Test
    void aCharacterAboveLatin1IsAQuestionMarkNeverItsLowByte() {
        // U+0141 truncated to a byte would be 'A' (0x41): such a string must not share the hash of the token "aAb".
        assertThat(TokenHash.of("a\u0141b")).isEqualTo(TokenHash.of("a?b")).isNotEqualTo(TokenHash.of("aAb"));
        assertThat(TokenHash.of("\u0100")).isNotEqualTo(TokenHash.of("\u0000"));
        // Latin-1 characters above 0x7F are their own byte.
        assertThat(TokenHash.of("\u00e9")).isNotEqualTo(TokenHash.of("?"));
    }
}
