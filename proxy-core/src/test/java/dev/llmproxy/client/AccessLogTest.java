package dev.llmproxy.client;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.openai.ErrorKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.llmproxy.access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void attach() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(lines);
    }

    private String logged(ExchangeRecord r) {
        new AccessLog(true).log(r);
        assertThat(lines.list).hasSize(1);
        return lines.list.get(0).getFormattedMessage();
    }

    @Test
    void aModelStringCannotForgeALineNorFloodTheLog() {
        ExchangeRecord r = new ExchangeRecord(System.nanoTime() - 1_234_567, "POST", "/v1/chat/completions");
        r.model("ok\r\nX-Injected: 1\u0000\u202e" + "x".repeat(10_000), "other");
        r.status(404);
        r.error(ErrorKind.MODEL_NOT_FOUND);
        String line = logged(r);
        assertThat(line).doesNotContain("\r", "\n", "\u0000", "\u202e")
                .contains("model=ok\\u000d\\u000aX-Injected: 1\\u0000\\u202e")
                .contains(" error=model_not_found");
        assertThat(line.length()).as("the model is cut").isLessThan(400);
        assertThat(line).matches("POST /v1/chat/completions 404 \\d+\\.\\d{3}ms model=.*");
    }

    @Test
    void durationsHaveThreeDecimalsAndAnOffLogSaysNothing() {
        ExchangeRecord r = new ExchangeRecord(System.nanoTime(), "GET", "/health");
        r.status(200);
        assertThat(logged(r)).matches("GET /health 200 \\d+\\.\\d{3}ms model=- bytes=0");
        new AccessLog(false).log(r);
        assertThat(lines.list).hasSize(1);
    }
}
