package io.ferry.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A virsh-style table: a header, a rule, left-aligned columns. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final String[] header;

    Table(String... header) {
        this.header = header;
    }

    void add(String... row) {
        rows.add(Arrays.stream(row).map(TerminalText::line).toArray(String[]::new));
    }

    void print(PrintStream out) {
        int[] widths = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            widths[i] = header[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        out.println(line(header, widths));
        out.println("-".repeat(line(header, widths).length() + 2));
        for (String[] row : rows) {
            out.println(line(row, widths));
        }
    }

    private static String line(String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            line.append(' ').append(i == cells.length - 1 ? cells[i] : String.format("%-" + (widths[i] + 2) + "s", cells[i]));
        }
        return line.toString().stripTrailing();
    }
}
