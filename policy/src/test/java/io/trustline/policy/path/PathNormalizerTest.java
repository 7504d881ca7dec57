package io.trustline.policy.path;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathNormalizerTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /                        | /
            /api/items               | /api/items
            /api/items/              | /api/items/
            /api/../admin            | /admin
            /api/%2e%2e/admin        | /admin
            /api/%2E%2e/admin        | /admin
            /api/.%2E/admin          | /admin
            /api/./x                 | /api/x
            /api/.                   | /api/
            /api/..                  | /
            /..                      | /
            /../../etc/passwd        | /etc/passwd
            //admin                  | /admin
            /api///x//               | /api/x/
            /%7Euser/%41%62c         | /~user/Abc
            /a%20b/%3f/%3F/%c3%a9    | /a%20b/%3F/%3F/%C3%A9
            /a/...b/..../c           | /a/...b/..../c
            /.well-known/x           | /.well-known/x
            /a/%2e                   | /a/
            /a%40b%3Dc%26d%2Ce%3Af%2Bg | /a%40b%3Dc%26d%2Ce%3Af%2Bg
            /a%40b%3dc%26d%2ce%3af%2bg | /a%40b%3Dc%26d%2Ce%3Af%2Bg
            /caf%C3%A9/%e2%82%ac/%F0%9F%98%80 | /caf%C3%A9/%E2%82%AC/%F0%9F%98%80
            """)
    void normalises(String raw, String expected) {
        NormalizedPath p = PathNormalizer.normalize(raw);
        assertThat(p.isValid()).as("%s is valid", raw).isTrue();
        assertThat(p.path()).isEqualTo(expected);
        assertThat(p.query()).isNull();
    }

    @ParameterizedTest(name = "{0} rejected: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /api%2F..%2Fadmin   | encoded '/'
            /api/a%2fb          | encoded '/'
            /api/..%5Cadmin     | encoded '\\'
            /api/..%5cadmin     | encoded '\\'
            /api/..\\admin      | backslash
            /api/%zz            | invalid percent-encoding
            /api/%2             | truncated percent-encoding
            /api/%              | truncated percent-encoding
            /api/x%00.json      | encoded control character
            /api/x%7f           | encoded control character
            api/x               | path does not start with '/'
            *                   | path does not start with '/'
            /a b                | character ' ' not allowed in a path
            /a<b                | character '<' not allowed in a path
            /café               | non-ASCII character
            /api/secret;x       | path parameter ';'
            /api;/admin/users   | path parameter ';'
            /a;b=c/d            | path parameter ';'
            /api/secret%3bx     | encoded ';'
            /api%3B/admin/users | encoded ';'
            /api/secret%253Bx   | encoded '%'
            /api/secre%2574     | encoded '%'
            /api/%25            | encoded '%'
            /api%C0%AFadmin     | invalid UTF-8
            /api%E0%80%AFadmin  | invalid UTF-8
            /api%C1%9Cadmin     | invalid UTF-8
            /api%ED%A0%80x      | invalid UTF-8
            /api%F4%90%80%80x   | invalid UTF-8
            /api%C3x            | invalid UTF-8
            /api%C3             | invalid UTF-8
            /api%A9x            | invalid UTF-8
            /api%C3%2Fx         | invalid UTF-8
            """)
    void rejects(String raw, String detail) {
        NormalizedPath p = PathNormalizer.normalize(raw);
        assertThat(p.isValid()).isFalse();
        assertThat(p.reason()).isEqualTo("request.invalid_path");
        assertThat(p.detail()).isEqualTo(detail);
        assertThat(p.path()).isNull();
    }

    @org.junit.jupiter.api.Test
    void rejectsControlCharactersAndEmptyPaths() {
        assertThat(PathNormalizer.normalize("/a\tb").detail()).isEqualTo("control character");
        assertThat(PathNormalizer.normalize("/a\u0000").detail()).isEqualTo("control character");
        assertThat(PathNormalizer.normalize("").isValid()).isFalse();
        assertThat(PathNormalizer.normalize("?x=1").isValid()).isFalse();
    }

    @org.junit.jupiter.api.Test
    void keepsTheQueryUntouchedAndSeparate() {
        NormalizedPath p = PathNormalizer.normalize("/api/../x?a=%2F..%2F&b=/../c#");
        assertThat(p.path()).isEqualTo("/x");
        assertThat(p.query()).isEqualTo("a=%2F..%2F&b=/../c#");
        assertThat(p.pathAndQuery()).isEqualTo("/x?a=%2F..%2F&b=/../c#");
        assertThat(PathNormalizer.normalize("/x?").query()).isEmpty();
    }

    @ParameterizedTest(name = "strip: {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /api/secret;x            | /api/secret
            /api;jsessionid=1/admin  | /api/admin
            /a;b=c/d;e/f             | /a/d/f
            /api/..;x/admin          | /admin
            /api/;x/y                | /api/y
            /api/x;                  | /api/x
            """)
    void stripsPathParametersFromEverySegmentBeforeDotSegmentsWhenAsked(String raw, String expected) {
        NormalizedPath p = PathNormalizer.normalize(raw, PathParameters.STRIP);
        assertThat(p.isValid()).as("%s is valid", raw).isTrue();
        assertThat(p.path()).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void anEncodedSemicolonIsRefusedEvenWhenParametersAreStripped() {
        NormalizedPath p = PathNormalizer.normalize("/api/secret%3Bx", PathParameters.STRIP);
        assertThat(p.isValid()).isFalse();
        assertThat(p.detail()).isEqualTo("encoded ';'");
    }

    @org.junit.jupiter.api.Test
    void theQueryKeepsSemicolonsAndPercentSignsWhateverThePathRules() {
        NormalizedPath p = PathNormalizer.normalize("/x?a=1;b=%25;c=%3B+d%20e");
        assertThat(p.path()).isEqualTo("/x");
        assertThat(p.query()).isEqualTo("a=1;b=%25;c=%3B+d%20e");
    }

    @org.junit.jupiter.api.Test
    void returnsAnAlreadyNormalPathWithoutCopying() {
        String raw = "/api/orders/42";
        assertThat(PathNormalizer.normalize(raw).path()).isSameAs(raw);
    }

    @org.junit.jupiter.api.Test
    void isIdempotent() {
        for (String raw : new String[] {"/a/./b/../c//d", "/%7e/%2e%2e/x", "/a%20b/..", "/x/%41/"}) {
            String once = PathNormalizer.normalize(raw).path();
            assertThat(PathNormalizer.normalize(once).path()).isEqualTo(once);
        }
    }
}
