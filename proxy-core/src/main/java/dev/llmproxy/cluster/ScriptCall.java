package dev.llmproxy.cluster;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;

/**
 * A {@link RedisCall} that runs a {@link LuaScript}: {@code EVALSHA} first, and once {@code EVAL} with the full text
 * if Redis answers {@code NOSCRIPT} (it restarted or flushed its script cache). Same round trip count in the steady
 * state as a plain command, and no start-up step that a Redis restart could undo.
 */
abstract class ScriptCall<T> extends RedisCall<T> {

    private final LuaScript script;
    private final String[] keys;
    private final String[] args;
    private RedisAsyncCommands<String, String> commands;
    private boolean evalSent;

    ScriptCall(RedisHealth health, EventExecutor executor, LuaScript script, String[] keys, String[] args) {
        super(health, executor);
        this.script = script;
        this.keys = keys;
        this.args = args;
    }

    @Override
    final RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
        this.commands = commands;
        return commands.evalsha(script.sha(), script.output(), keys, args);
    }

    /** Whether the script went to Redis (false when the call was answered "unavailable" without trying). */
    final boolean sent() {
        return commands != null;
    }

    @Override
    final boolean retried(Throwable failure) {
        if (!(failure instanceof RedisNoScriptException) || evalSent) {
            return false;
        }
        evalSent = true;
        try {
            commands.eval(script.source(), script.output(), keys, args).whenComplete(this);
        } catch (RuntimeException e) {
            accept(null, e);
        }
        return true;
    }
}
