package dev.llmproxy.cluster;

import io.lettuce.core.ScriptOutputType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One Lua script from this package's resources, with its SHA-1 computed here: calls send {@code EVALSHA} with it
 * (a few bytes instead of the script), and {@link ScriptCall} falls back to {@code EVAL} — which also puts the script
 * back in Redis's cache — when Redis answers {@code NOSCRIPT}, as it does after a restart or {@code SCRIPT FLUSH}.
 * Immutable.
 */
final class LuaScript {

    private static final String INCLUDE = "-- #include ";

    static final LuaScript GCRA = load("gcra.lua", ScriptOutputType.MULTI);
    static final LuaScript LEASE_ACQUIRE = load("lease-acquire.lua", ScriptOutputType.MULTI);
    static final LuaScript LEASE_RENEW = load("lease-renew.lua", ScriptOutputType.MULTI);
    static final LuaScript COUNTER_ADD = load("counter-add.lua", ScriptOutputType.MULTI);
    static final LuaScript PAUSE = load("pause.lua", ScriptOutputType.INTEGER);
    static final LuaScript PAUSE_READ = load("pause-read.lua", ScriptOutputType.INTEGER);
    static final LuaScript QUOTA_LEARN = load("quota-learn.lua", ScriptOutputType.INTEGER);
    static final LuaScript QUOTA_READ = load("quota-read.lua", ScriptOutputType.MULTI);
    static final LuaScript REPLICA_HEARTBEAT = load("replica-heartbeat.lua", ScriptOutputType.INTEGER);
    static final LuaScript REQUEST_ADMIT = load("request-admit.lua", ScriptOutputType.MULTI);
    static final LuaScript REQUEST_SETTLE = load("request-settle.lua", ScriptOutputType.INTEGER);

    static final LuaScript[] ALL = {GCRA, LEASE_ACQUIRE, LEASE_RENEW, COUNTER_ADD, PAUSE, PAUSE_READ,
            QUOTA_LEARN, QUOTA_READ, REPLICA_HEARTBEAT, REQUEST_ADMIT, REQUEST_SETTLE};

    private final String name;
    private final String source;
    private final String sha;
    private final ScriptOutputType output;

    private LuaScript(String name, String source, ScriptOutputType output) {
        this.name = name;
        this.source = source;
        this.sha = sha1Hex(source);
        this.output = output;
    }

    String name() {
        return name;
    }

    String source() {
        return source;
    }

    /** The digest Redis files the script under. */
    String sha() {
        return sha;
    }

    ScriptOutputType output() {
        return output;
    }

    private static LuaScript load(String resource, ScriptOutputType output) {
        return new LuaScript(resource, withIncludes(text(resource)), output);
    }

    /**
     * The script's text with each line {@code -- #include <name>.lua} replaced by that resource's text: Redis scripts
     * cannot load each other, so what several share ({@code prelude.lua}: the clock, the GCRA step) is put in here.
     */
    static String withIncludes(String source) {
        StringBuilder out = new StringBuilder(source.length() + 2048);
        for (String line : source.split("\n", -1)) {
            if (line.startsWith(INCLUDE)) {
                out.append(text(line.substring(INCLUDE.length()).trim()));
            } else {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private static String text(String resource) {
        try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
            Objects.requireNonNull(in, () -> "missing resource dev/llmproxy/cluster/" + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1Hex(String source) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(sha1.digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }
}
