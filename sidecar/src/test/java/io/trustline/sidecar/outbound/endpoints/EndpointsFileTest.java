package io.trustline.sidecar.outbound.endpoints;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.linecorp.armeria.client.Endpoint;
import org.junit.jupiter.api.Test;

/** The endpoints file format: one host:port a line, comments and blank lines ignored, a bad line located. */
class EndpointsFileTest {

    @Test
    void readsOneEndpointALineInFileOrderSkippingCommentsBlanksAndRepeats() throws Exception {
        assertThat(EndpointsFile.parse("# inventory replicas\r\n10.0.0.7:15006\n\n  10.0.0.8:15006  \n"
                        + "[fd00::9]:15006\n10.0.0.7:15006\n"))
                .containsExactly(
                        Endpoint.of("10.0.0.7", 15006), Endpoint.of("10.0.0.8", 15006), Endpoint.of("fd00::9", 15006));
    }

    @Test
    void aFileWithoutEndpointsIsValidAndEmpty() throws Exception {
        assertThat(EndpointsFile.parse("# none yet\n\n")).isEmpty();
        assertThat(EndpointsFile.parse("")).isEmpty();
    }

    @Test
    void aLineWithoutAPortIsReportedAtItsLineAndColumn() {
        final EndpointsFile.BadLineException e = catchThrowableOfType(
                EndpointsFile.BadLineException.class, () -> EndpointsFile.parse("10.0.0.7:15006\n   10.0.0.8\n"));
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(4);
        assertThat(e.problem()).startsWith("'10.0.0.8' (expected: host:port, e.g. 10.0.0.7:15006)");
    }
}
