package dev.llmproxy.tools;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class TablePrinterTest {

    @Test
    void alignsColumnsToTheWidestCellAndNumbersRight() {
        StringWriter out = new StringWriter();
        new TablePrinter("MODEL", "TOTAL", "NOTE").alignRight(1)
                .row("a", "5 ms", "")
                .row("longer-id", "1.25 s", "multi\nline")
                .row("世界", "12 ms", null)
                .print(new PrintWriter(out));
        assertThat(out.toString()).isEqualTo("""
                MODEL       TOTAL  NOTE
                a            5 ms
                longer-id  1.25 s  multi line
                世界          12 ms
                """);
    }
}
