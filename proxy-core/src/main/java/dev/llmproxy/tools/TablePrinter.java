package dev.llmproxy.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain-text table for a terminal or a log: a header row, columns two spaces apart, each as wide as its widest
 * cell, numeric columns right-aligned, no trailing spaces. Widths count code points. Not thread-safe; one per table.
 */
final class TablePrinter {
    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    TablePrinter(String... headers) {
        this.headers = headers.clone();
        this.rightAligned = new boolean[headers.length];
    }

    /** Right-aligns the given columns (numbers read best that way). */
    TablePrinter alignRight(int... columns) {
        for (int column : columns) {
            rightAligned[column] = true;
        }
        return this;
    }

    TablePrinter row(String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("cells: " + cells.length + " (expected: " + headers.length + ")");
        }
        String[] copy = Arrays.stream(cells).map(cell -> cell == null ? "" : cell.replace('\n', ' '))
                .toArray(String[]::new);
        rows.add(copy);
        return this;
    }

    int rowCount() {
        return rows.size();
    }

    void print(PrintWriter out) {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = width(headers[i]);
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], width(row[i]));
            }
        }
        printRow(out, headers, widths);
        for (String[] row : rows) {
            printRow(out, row, widths);
        }
        out.flush();
    }

    private void printRow(PrintWriter out, String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                line.append("  ");
            }
            int padding = widths[i] - width(cells[i]);
            if (rightAligned[i]) {
                line.append(" ".repeat(padding)).append(cells[i]);
            } else {
                line.append(cells[i]).append(" ".repeat(padding));
            }
        }
        out.println(line.toString().stripTrailing());
    }

    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }
}
