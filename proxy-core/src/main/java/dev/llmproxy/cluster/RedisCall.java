package dev.llmproxy.cluster;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;

/**
 * One call to Redis, its result delivered on the caller's event loop. The command goes out on that loop's own
 * connection ({@link RedisConnector#commands(EventExecutor)}), so Lettuce writes it and completes it on the caller's
 * loop, and the result — a promise of the caller's {@link EventExecutor} — runs the listeners there at once; from
 * another thread (a timer, the heartbeat) the hand-offs happen as needed. Nothing ever waits. A call never fails: a timeout, a lost
 * connection or an unreadable reply completes it with the subclass's "unavailable" value, and a call made while
 * Redis is down is answered that way at once without being sent.
 *
 * <p>The object is its own completion callback, so a call costs one allocation besides Lettuce's command.
 * Threading: created and sent on any thread; completed on the connection's loop.
 */
abstract class RedisCall<T> implements BiConsumer<Object, Throwable> {

    private final RedisHealth health;
    private final EventExecutor executor;
    private final Promise<T> promise;

    RedisCall(RedisHealth health, EventExecutor executor) {
        this.health = health;
        this.executor = executor;
        this.promise = executor.newPromise();
    }

    /** Sends the command, or answers "unavailable" at once while Redis is down or not yet connected. */
    final Future<T> send(RedisConnector connector) {
        return send(health.admitsCalls() ? connector.commands(executor) : null);
    }

    /** Sends the command even while Redis is marked down: the probe that finds out it is back. */
    final Future<T> sendEvenIfDown(RedisConnector connector) {
        return send(connector.commands(executor));
    }

    private Future<T> send(RedisAsyncCommands<String, String> commands) {
        if (commands == null) {
            health.callShortCircuited();
            promise.trySuccess(unavailable());
            return promise;
        }
        health.callSent();
        issueAndListen(commands);
        return promise;
    }

    /** Issues the command and makes this call its callback; also used for a second attempt. */
    final void issueAndListen(RedisAsyncCommands<String, String> commands) {
        try {
            issue(commands).whenComplete(this);
        } catch (RuntimeException e) {
            accept(null, e);
        }
    }

    /** The command; must not block (Lettuce's async API never does). */
    abstract RedisFuture<?> issue(RedisAsyncCommands<String, String> commands);

    /** The caller's value for Redis's reply; may throw on a reply of an unexpected shape. */
    abstract T decode(Object reply);

    /** The caller's value when Redis did not answer. */
    abstract T unavailable();

    /** A chance to try once more (EVAL after NOSCRIPT); true if the call goes on. */
    boolean retried(Throwable failure) {
        return false;
    }

    @Override
    public final void accept(Object reply, Throwable failure) {
        if (failure != null) {
            Throwable cause = unwrap(failure);
            if (retried(cause)) {
                return;
            }
            health.failed(cause);
            promise.trySuccess(unavailable());
            return;
        }
        health.succeeded();
        T value;
        try {
            value = decode(reply);
        } catch (RuntimeException e) {
            health.unreadable(e);
            value = unavailable();
        }
        promise.trySuccess(value);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
