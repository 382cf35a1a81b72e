package dev.llmproxy.tools;

import dev.llmproxy.config.Setting;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The commented {@code .env} template {@code llm-proxy config} writes: every {@link Setting} with its description,
 * the values it accepts and its default, as a commented-out {@code NAME=default} line (a secret's line is empty). Generated from the table the
 * proxy validates against, so it lists exactly the settings the proxy reads and can never drift from them; a file
 * written from it loads as an empty configuration, and with every line uncommented as the defaults. Stateless.
 */
final class EnvTemplate {
    private static final int WIDTH = 100;
    /** Values dotenv reads back unchanged without quotes. */
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_./:,@+-]*");

    private EnvTemplate() {
    }

    static String render() {
        StringBuilder out = new StringBuilder();
        out.append("""
                # llm-proxy settings: every setting the proxy reads, with what it means, the values it accepts and its
                # default. Written by `llm-proxy config` from the proxy's own table of settings.
                # A commented-out line keeps the default: uncomment it and change the value to set the setting.
                # Precedence: a `serve` flag, then the environment, then this file (.env in the working directory, or
                # `serve --env-file FILE`), then the default. Keep keys and tokens here or in the environment, never
                # on a command line, and make this file readable by the proxy's user only (chmod 600).
                """);
        for (Setting setting : Setting.values()) {
            out.append('\n');
            for (String line : wrap(setting.description())) {
                out.append("# ").append(line).append('\n');
            }
            String defaultText = setting.secret() ? "none (secret)" : setting.defaultValue().orElse("none");
            for (String line : wrap("Accepts " + setting.expected() + ". Default: " + defaultText + ".")) {
                out.append("# ").append(line).append('\n');
            }
            out.append("# ").append(setting.envName()).append('=')
                    .append(setting.secret() ? "" : setting.defaultValue().map(EnvTemplate::quote).orElse(""))
                    .append('\n');
        }
        return out.toString();
    }

    /**
     * A value as dotenv reads it back: bare when safe, else in double quotes, which dotenv strips without unescaping
     * anything, so a value with a quote, a backslash or a line break has no spelling it reads back unchanged.
     */
    static String quote(String value) {
        if (BARE.matcher(value).matches()) {
            return value;
        }
        if (value.indexOf('"') >= 0 || value.indexOf('\\') >= 0 || value.indexOf('\n') >= 0
                || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("value: " + value + " (expected: no quote, backslash or line break)");
        }
        return '"' + value + '"';
    }

    private static List<String> wrap(String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > WIDTH - 2) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() == 0 ? "" : " ").append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }
}
