package dev.llmproxy.client;

import dev.llmproxy.admission.MinuteAllowance;
import dev.llmproxy.config.ClientLimits;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.HttpHeaders;

import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

/**
 * One client key's own limits, kept in this process: requests per minute and tokens per minute as token buckets
 * (refilled continuously, so a minute's allowance is never exceeded and never bunched at a window edge), requests per
 * UTC day, requests in flight, and tokens per UTC calendar month. A request is admitted by {@link #tryAdmit} and
 * settled by {@link #settle} with the tokens it used, which the token bucket and the month's budget are charged
 * (the token bucket may go below zero: the next request waits until it is positive again).
 *
 * <p>Threading: any event loop; each method holds this object's lock for a few arithmetic steps.
 */
public final class ClientQuota {

    /**
     * @param error           null when admitted; else {@code client_rate_limit} or {@code client_budget_exhausted}
     * @param retryAfterNanos when trying again may succeed (0 when unknown or never within the period)
     */
    public record Decision(ProxyError error, long retryAfterNanos) {
        static final Decision ADMITTED = new Decision(null, 0);

        public boolean admitted() {
            return error == null;
        }
    }

    private final ClientSpec spec;
    private final ClientLimits limits;
    private final MinuteAllowance requests;
    private final MinuteAllowance tokens;
    private long updatedNanos;
    private int inFlight;
    private LocalDate day;
    private int requestsToday;
    private YearMonth month;
    private long tokensThisMonth;
    private long requestsTotal;
    private long tokensTotal;
    private long rejectedTotal;

    public ClientQuota(ClientSpec spec, long nowNanos) {
        this.spec = spec;
        this.limits = spec.limits();
        this.requests = new MinuteAllowance(limits.rpm());
        this.tokens = new MinuteAllowance(limits.tpm());
        this.updatedNanos = nowNanos;
    }

    public ClientSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    /** Takes one request of every limit, or none of them. */
    public synchronized Decision tryAdmit(long nowNanos, long epochMillis) {
        refill(nowNanos);
        roll(epochMillis);
        if (limits.monthlyTokens() > 0 && tokensThisMonth >= limits.monthlyTokens()) {
            rejectedTotal++;
            return new Decision(ProxyError.of(ErrorKind.CLIENT_BUDGET_EXHAUSTED, "The client key '" + spec.name()
                    + "' has used its monthly budget of " + limits.monthlyTokens() + " tokens ("
                    + tokensThisMonth + " used in " + month + ")"), 0);
        }
        if (limits.rpd() > 0 && requestsToday >= limits.rpd()) {
            rejectedTotal++;
            return new Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + spec.name()
                    + "' has made its " + limits.rpd() + " requests of the day (UTC)"), 0);
        }
        if (limits.concurrency() > 0 && inFlight >= limits.concurrency()) {
            rejectedTotal++;
            return new Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + spec.name()
                    + "' has " + inFlight + " requests in flight, its limit"), TimeUnit.SECONDS.toNanos(1));
        }
        if (requests.limited() && requests.left() < 1) {
            rejectedTotal++;
            long wait = requests.waitFor(1);
            return new Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + spec.name()
                    + "' is over its limit of " + limits.rpm() + " requests per minute"), wait);
        }
        if (tokens.limited() && tokens.left() <= 0) {
            rejectedTotal++;
            long wait = tokens.waitFor(1);
            return new Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + spec.name()
                    + "' is over its limit of " + limits.tpm() + " tokens per minute"), wait);
        }
        requests.take(1);
        inFlight++;
        requestsToday++;
        requestsTotal++;
        return Decision.ADMITTED;
    }

    /**
     * Counts a request the replicas' shared limits admitted ({@code REDIS_URL}): nothing is checked here, the
     * numbers are this replica's part for {@code /v1/stats} and the monitor. {@link #settle} it like any other.
     */
    public synchronized void countAdmitted(long nowNanos, long epochMillis) {
        refill(nowNanos);
        roll(epochMillis);
        inFlight++;
        requestsToday++;
        requestsTotal++;
    }

    /** Counts a request the replicas' shared limits refused. */
    public synchronized void countRejected() {
        rejectedTotal++;
    }

    /** The admitted request ended, having used {@code tokens} (0 when unknown). */
    public synchronized void settle(long used, long nowNanos, long epochMillis) {
        refill(nowNanos);
        roll(epochMillis);
        inFlight = Math.max(0, inFlight - 1);
        if (used > 0) {
            tokens.take(used);
            tokensThisMonth += used;
            tokensTotal += used;
        }
    }

    /** OpenAI's rate-limit headers for the client's own per-minute limits (only those it has). */
    public synchronized void addHeaders(HttpHeaders headers, long nowNanos) {
        refill(nowNanos);
        if (requests.limited()) {
            headers.set("x-ratelimit-limit-requests", requests.limit());
            headers.set("x-ratelimit-remaining-requests", Math.max(0, (long) Math.floor(requests.left())));
            headers.set("x-ratelimit-reset-requests", duration(requests.untilFull()));
        }
        if (tokens.limited()) {
            headers.set("x-ratelimit-limit-tokens", tokens.limit());
            headers.set("x-ratelimit-remaining-tokens", Math.max(0, (long) Math.floor(tokens.left())));
            headers.set("x-ratelimit-reset-tokens", duration(tokens.untilFull()));
        }
    }

    /** What {@code /v1/stats} shows of this client. */
    public synchronized Snapshot snapshot(long epochMillis) {
        roll(epochMillis);
        return new Snapshot(spec.name(), inFlight, requestsToday, tokensThisMonth, requestsTotal, tokensTotal,
                rejectedTotal, limits);
    }

    public record Snapshot(String name, int inFlight, int requestsToday, long tokensThisMonth, long requestsTotal,
                           long tokensTotal, long rejectedTotal, ClientLimits limits) {
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - updatedNanos;
        if (elapsed > 0) {
            updatedNanos = nowNanos;
            requests.refill(elapsed);
            tokens.refill(elapsed);
        }
    }

    private void roll(long epochMillis) {
        LocalDate today = LocalDate.ofEpochDay(Math.floorDiv(epochMillis, 86_400_000L));
        if (!today.equals(day)) {
            day = today;
            requestsToday = 0;
        }
        YearMonth thisMonth = YearMonth.from(today.atStartOfDay(ZoneOffset.UTC));
        if (!thisMonth.equals(month)) {
            month = thisMonth;
            tokensThisMonth = 0;
        }
    }

    /** OpenAI's duration format: {@code 1s}, {@code 6m0s}, {@code 250ms}. */
    static String duration(long nanos) {
        long millis = TimeUnit.NANOSECONDS.toMillis(Math.max(0, nanos));
        if (millis < 1000) {
            return millis + "ms";
        }
        long seconds = (millis + 999) / 1000;
        return seconds < 60 ? seconds + "s" : seconds / 60 + "m" + seconds % 60 + "s";
    }
}
