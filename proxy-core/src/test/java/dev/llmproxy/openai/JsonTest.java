package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {
    private static final byte[] EXPONENT_OVERFLOW = "{\"temperature\":1e2147483648}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aFloatWhoseExponentOverflowsIsMalformedJsonNotAnUncheckedException() {
        assertThatThrownBy(() -> Json.MAPPER.readTree(EXPONENT_OVERFLOW)).as("what the mapper alone does")
                .isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> Json.readTree(EXPONENT_OVERFLOW)).isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> Json.readTree(new ByteArrayInputStream(EXPONENT_OVERFLOW)))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void theProxysOwnJsonEndpointsAnswerItAsInvalidJson() {
        assertThatThrownBy(() -> RequestJson.parse(EXPONENT_OVERFLOW)).isInstanceOfSatisfying(
                ProxyErrorException.class, e -> assertThat(e.error().kind()).isEqualTo(ErrorKind.INVALID_JSON));
    }

    @Test
    void exactNumbersStayExact() throws Exception {
        assertThat(Json.readTree("{\"t\":0.7,\"n\":123456789012345678901234567890}".getBytes(StandardCharsets.UTF_8))
                .toString()).isEqualTo("{\"t\":0.7,\"n\":123456789012345678901234567890}");
    }
}
