package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.openai.ProxyErrorException;

/**
 * The 400s a request bridge answers, each naming the field as a path ({@code input[2].content[0].type}) and reading
 * {@code <field>: <value> (expected: <rule>)}, plus the type checks that produce them. Stateless.
 */
public final class RequestFields {
    private static final int MAX_VALUE_CHARS = 60;

    private RequestFields() {
    }

    /** A field that must be present is absent or null. */
    public static ProxyErrorException missing(String field, String rule) {
        return error(ErrorKind.MISSING_PARAMETER, field, "missing", rule);
    }

    /** A value of the wrong JSON type. */
    public static ProxyErrorException invalidType(String field, JsonNode value, String rule) {
        return error(ErrorKind.INVALID_PARAMETER, field, describe(value), rule);
    }

    /** A value of the right type outside the allowed ones. */
    public static ProxyErrorException invalidValue(String field, JsonNode value, String rule) {
        return error(ErrorKind.INVALID_VALUE, field, describe(value), rule);
    }

    /** A feature of the client's API that a bridge to chat cannot honour. */
    public static ProxyErrorException unsupported(String field, JsonNode value, String rule) {
        return error(ErrorKind.UNSUPPORTED_PARAMETER, field, describe(value), rule);
    }

    /** A field the client's API does not define. */
    public static ProxyErrorException unknown(String field, String api) {
        return error(ErrorKind.UNKNOWN_PARAMETER, field, "unknown parameter", "a parameter of the " + api);
    }

    /** True for an absent field or JSON null: the APIs treat both as "not given". */
    public static boolean absent(JsonNode value) {
        return value == null || value.isNull();
    }

    /** The field as a string; a 400 when it is another type. */
    public static String string(String field, JsonNode value) {
        if (!value.isTextual()) {
            throw invalidType(field, value, "a string");
        }
        return value.textValue();
    }

    /** The field as an object; a 400 when it is another type. */
    public static JsonNode object(String field, JsonNode value) {
        if (!value.isObject()) {
            throw invalidType(field, value, "an object");
        }
        return value;
    }

    /** The field as an array; a 400 when it is another type. */
    public static JsonNode array(String field, JsonNode value) {
        if (!value.isArray()) {
            throw invalidType(field, value, "an array");
        }
        return value;
    }

    /** The field as a boolean; a 400 when it is another type. */
    public static boolean bool(String field, JsonNode value) {
        if (!value.isBoolean()) {
            throw invalidType(field, value, "a boolean");
        }
        return value.booleanValue();
    }

    /** The field as a number, kept as the client wrote it; a 400 when it is another type. */
    public static JsonNode number(String field, JsonNode value) {
        if (!value.isNumber()) {
            throw invalidType(field, value, "a number");
        }
        return value;
    }

    /** The field as an integer of at least {@code min}; a 400 otherwise. */
    public static long integer(String field, JsonNode value, long min) {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw invalidType(field, value, "an integer");
        }
        if (value.longValue() < min) {
            throw invalidValue(field, value, "an integer >= " + min);
        }
        return value.longValue();
    }

    private static ProxyErrorException error(ErrorKind kind, String field, String value, String rule) {
        return new ProxyErrorException(ProxyError.of(kind, field + ": " + value + " (expected: " + rule + ")", field));
    }

    /** A value as the error names it: strings bare, anything else as JSON, cut to a readable length. */
    private static String describe(JsonNode value) {
        String text = value == null ? "null" : value.isTextual() ? value.textValue() : value.toString();
        return text.length() <= MAX_VALUE_CHARS ? text : text.substring(0, MAX_VALUE_CHARS) + "…";
    }
}
