package dev.llmproxy.admission;

import dev.llmproxy.exchange.UpstreamPolicy;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.ModelHandle;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One upstream call on its way through admission, then its policy while it runs. First it waits, each step bounded
 * by the queue deadline: for the model's pacing slot (GitHub quota), for a slot of the model's concurrency gate, for a
 * slot of the global gate; the circuit breaker has the last word. Admitted, it decides on retries and upstream 429s
 * for the exchange, and when the exchange ends it gives the slots back and reports the outcome to the breaker, the
 * quota bookkeeping and the daily counts.
 *
 * <p>Threading: every method runs on the client channel's event loop (gate hand-offs are dispatched there).
 */
public final class AdmittedCall implements Admission.Pending, UpstreamPolicy, Runnable {
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Admission admission;
    private final String model;
    private final ModelHandle handle;
    private final ModelQuotas.Entry quotas;
    private final EventExecutor loop;
    private final Admission.Callback callback;
    private final long deadlineNanos;
    private final long startedNanos;
    private final List<ConcurrencyGate.Ticket> held = new ArrayList<>(2);

    private ScheduledFuture<?> timer;
    private boolean cancelled;
    /** Which gate {@link #await} waits at: the global one (then dispatch) or the model's (then the global one). */
    private boolean awaitingGlobal;
    private boolean decided;
    private boolean dispatched;
    private boolean ended;
    private boolean concurrencyRetried;
    private long queueWaitNanos;

    AdmittedCall(Admission admission, String model, ModelHandle handle, ModelQuotas.Entry quotas, EventExecutor loop,
                 Admission.Callback callback, long deadlineNanos) {
        this.admission = admission;
        this.model = model;
        this.handle = handle;
        this.quotas = quotas;
        this.loop = loop;
        this.callback = callback;
        this.deadlineNanos = deadlineNanos;
        this.startedNanos = admission.nanos.nanoTime();
    }

    /** Time spent waiting for admission: pacing plus the queues. */
    public long queueWaitNanos() {
        return queueWaitNanos;
    }

    public String model() {
        return model;
    }

    void begin() {
        SlidingWindowLimiter pacer = quotas == null ? null : quotas.pacer();
        if (pacer == null) {
            enterModelGate();
            return;
        }
        SlidingWindowLimiter.Reservation r = pacer.reserve(deadlineNanos - admission.nanos.nanoTime());
        if (!r.granted()) {
            reject(Rejections.paced(model, pacer.permits(), r.retryAfterNanos()));
        } else if (r.waitNanos() <= 0) {
            enterModelGate();
        } else {
            timer = loop.schedule(() -> {
                timer = null;
                if (!cancelled) {
                    enterModelGate();
                }
            }, r.waitNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void enterModelGate() {
        if (quotas == null) {
            enterGlobalGate();
            return;
        }
        // an upstream UserConcurrentRequests 429 lowers the model's concurrency for a while
        int wanted = Math.min(quotas.planConcurrency(),
                admission.quota.concurrencyCut(handle).orElse(quotas.planConcurrency()));
        if (quotas.gate().limit() != wanted) {
            quotas.gate().limit(wanted);
        }
        await(quotas.gate(), false);
    }

    private void enterGlobalGate() {
        if (admission.global == null) {
            dispatch();
        } else {
            await(admission.global, true);
        }
    }

    /**
     * Takes a slot of {@code gate}, now or when one is handed over; then goes on past it: to the global gate after the
     * model's, to {@link #dispatch} after the global one. The call itself is the gate's grant callback ({@link #run}),
     * so waiting allocates no closure.
     */
    private void await(ConcurrencyGate gate, boolean global) {
        if (cancelled || decided) {
            return;
        }
        awaitingGlobal = global;
        ConcurrencyGate.Ticket ticket = gate.acquire(loop, this);
        if (ticket.state() == ConcurrencyGate.Ticket.State.REJECTED) {
            giveBack();
            reject(Rejections.queueFull(admission.config.queueMax()));
            return;
        }
        held.add(ticket);
        if (!ticket.wasQueued()) {
            pastGate(); // the fast path: the gate does not call back
            return;
        }
        // queued (possibly granted already, in which case the grant is on its way): bound the wait
        long left = deadlineNanos - admission.nanos.nanoTime();
        timer = loop.schedule(() -> {
            timer = null;
            if (ticket.expire()) {
                giveBack();
                reject(Rejections.queueTimeout(admission.config.queueTimeout().toMillis()));
            }
        }, Math.max(0, left), TimeUnit.NANOSECONDS);
    }

    /** A queued ticket was granted (the gate calls back on this call's event loop). */
    @Override
    public void run() {
        cancelTimer();
        if (!cancelled && !decided) {
            pastGate();
        }
    }

    private void pastGate() {
        if (awaitingGlobal) {
            dispatch();
        } else {
            enterGlobalGate();
        }
    }

    private void dispatch() {
        if (cancelled || decided) {
            return;
        }
        CircuitBreaker.Pass pass = admission.breakers.forModel(handle).tryPass();
        if (!pass.permitted()) {
            giveBack();
            reject(Rejections.breakerOpen(model, pass.retryAfterNanos()));
            return;
        }
        decided = true;
        dispatched = true;
        queueWaitNanos = admission.nanos.nanoTime() - startedNanos;
        admission.upstreamInFlight.incrementAndGet();
        callback.admitted(this);
    }

    private void reject(ProxyError error) {
        if (cancelled || decided) {
            return;
        }
        decided = true;
        cancelTimer();
        callback.rejected(error);
    }

    /** The client went away while waiting: leave every queue now; a slot granted meanwhile goes straight back. */
    @Override
    public void cancel() {
        if (cancelled || dispatched) {
            return;
        }
        cancelled = true;
        cancelTimer();
        for (ConcurrencyGate.Ticket t : held) {
            if (!t.cancel()) {
                t.release();
            }
        }
        held.clear();
    }

    private void giveBack() {
        for (ConcurrencyGate.Ticket t : held) {
            if (!t.cancel()) {
                t.release();
            }
        }
        held.clear();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    // ---------------------------------------------------------------- policy of the running exchange

    @Override
    public Decision onHead(HttpResponse head, int attempt, long remainingNanos) {
        int status = head.status().code();
        HttpHeaders h = head.headers();
        if (status == 429) {
            return onUpstream429(head, attempt, remainingNanos);
        }
        if ((status == 502 || status == 503 || status == 504) && attempt <= admission.config.retryAttempts()) {
            OptionalLong retryAfter = retryAfterSeconds(h);
            if (retryAfter.isPresent()
                    && TimeUnit.SECONDS.toNanos(retryAfter.getAsLong()) > admission.config.retryAfterMax().toNanos()) {
                return Decision.FORWARD; // the upstream asks for a longer pause than the proxy waits out itself
            }
            long delay = backoff(attempt, retryAfter.orElse(0));
            if (delay < remainingNanos) {
                return new Decision.Retry(delay);
            }
        }
        return Decision.FORWARD;
    }

    private Decision onUpstream429(HttpResponse head, int attempt, long remainingNanos) {
        HttpHeaders h = head.headers();
        UpstreamRateLimit limit = UpstreamRateLimit.parse(429, h::get, null, admission.wall.instant()).orElseThrow();
        int inFlight = quotas == null ? 1 : Math.max(1, quotas.gate().active());
        admission.learned(admission.quota.onUpstream429(handle, limit, inFlight), loop);
        if (admission.adaptive != null) {
            admission.adaptive.on429(handle);
        }
        String code = limit.upstreamCode() != null ? limit.upstreamCode() : h.get("x-ms-error-code");
        switch (limit.kind()) {
            case USER_CONCURRENT_REQUESTS -> {
                if (!concurrencyRetried && attempt <= admission.config.retryAttempts()) {
                    long delay = backoff(attempt, limit.effectiveRetryAfterSeconds(0));
                    if (delay < remainingNanos) {
                        concurrencyRetried = true;
                        return new Decision.Retry(delay);
                    }
                }
            }
            case USER_BY_MODEL_BY_DAY -> {
                Optional<QuotaTracker.Block> block = admission.quota.check(handle);
                if (block.isPresent()) {
                    QuotaTracker.Block b = block.get();
                    return new Decision.Fail(Rejections.dailyQuotaExhausted(model, b.retryAfterSeconds(), b.resetAt(),
                            limit.limitType(), code));
                }
            }
            default -> {
            }
        }
        long retryAfter = Math.max(1, limit.effectiveRetryAfterSeconds(60));
        return new Decision.Fail(Rejections.upstreamRateLimited(limit, code, retryAfter, h::get, h.names()));
    }

    @Override
    public Decision onFailure(ProxyError error, int attempt, long remainingNanos) {
        ErrorKind kind = error.kind();
        boolean connectFailure = kind == ErrorKind.UPSTREAM_UNREACHABLE || kind == ErrorKind.UPSTREAM_CONNECT_TIMEOUT;
        if (connectFailure && attempt <= admission.config.retryAttempts()) {
            long delay = backoff(attempt, 0);
            if (delay < remainingNanos) {
                return new Decision.Retry(delay);
            }
        }
        return new Decision.Fail(error);
    }

    /**
     * Exponential backoff with jitter: a random wait between half and all of {@code RETRY_DELAY_MS·2^(attempt-1)},
     * at least the upstream's {@code Retry-After}.
     */
    private long backoff(int attempt, long retryAfterSeconds) {
        long base = admission.config.retryDelay().toNanos();
        long exp = Math.min(MAX_BACKOFF_NANOS, base << Math.min(20, attempt - 1));
        long jittered = exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1);
        return Math.max(jittered, TimeUnit.SECONDS.toNanos(retryAfterSeconds));
    }

    private OptionalLong retryAfterSeconds(HttpHeaders h) {
        String value = h.get(HttpHeaderNames.RETRY_AFTER);
        return value == null ? OptionalLong.empty() : UpstreamRateLimit.retryAfter(value, admission.wall.instant());
    }

    @Override
    public void onEnd(Outcome outcome) {
        if (!dispatched || ended) {
            return;
        }
        ended = true;
        giveBack();
        admission.upstreamInFlight.decrementAndGet();
        CircuitBreaker breaker = admission.breakers.forModel(handle);
        int status = outcome.upstreamStatus();
        if (outcome.upstreamFault()) {
            breaker.onFailure();
        } else if (status > 0) {
            breaker.onSuccess();
        } // no answer at all (the client left first): a probe lapses on its own
        if (admission.adaptive != null && status >= 200 && status < 400) {
            admission.adaptive.onSuccess(handle);
        }
        if (status > 0 || outcome.upstreamFault()) {
            admission.daily.record(handle, outcome.upstreamFault() || status >= 400);
        }
    }
}
