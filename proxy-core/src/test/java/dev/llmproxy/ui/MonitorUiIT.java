package dev.llmproxy.ui;

import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.Select;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code /monitor} dashboard in headless Chromium against the proxy on its demo upstream: live charts fed by
 * real traffic, the per-model table, the gauges, the two model tools, the proxy key, pause and the unreachable
 * indicator — and server text that looks like HTML stays text.
 */
class MonitorUiIT {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String TRAFFIC_MODEL = "gpt-4o-mini";
    /** The demo's chat models (DemoModels.DEFAULT without its embeddings model). */
    private static final List<String> DEMO_CHAT_MODELS = List.of("gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini",
            "llama3.2:3b", "mistral-small");
    /** The demo's embeddings model, whose known input limit (8,191 tokens) a long text exceeds. */
    private static final String SMALL_MODEL = "text-embedding-3-small";
    private static final String XSS = "<img src=x onerror=window.__xss=1>";

    private static ProxyUnderTest proxy;

    @BeforeAll
    static void start() {
        proxy = ProxyUnderTest.start(Map.of());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @Test
    void chartsGaugesAndModelTableFollowLiveTraffic() throws Exception {
        try (Browser browser = Browser.open(1280, 1000)) {
            browser.driver().get(proxy.baseUrl() + "/monitor");
            // The page derives rates from deltas between its own polls, so the traffic must come after its first.
            awaitTrue(browser, "the first poll", "return window.__monitor.polls >= 1"
                    + " && document.getElementById('status').dataset.state === 'live'");

            // A stream long enough to be seen in flight by the active-calls gauge.
            CompletableFuture<HttpResponse<String>> longStream = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(proxy.baseUrl().resolve("/v1/chat/completions"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(chat(TRAFFIC_MODEL, true, 200, "a long one")))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            awaitTrue(browser, "the active gauge to show the stream in flight",
                    "return Number(document.getElementById('gauge-active').dataset.value) >= 1");

            for (int i = 0; i < 7; i++) {
                HttpResponse<String> r = proxy.postJson("/v1/chat/completions",
                        chat(TRAFFIC_MODEL, i % 2 == 1, 5, "request " + i));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(longStream.get().statusCode()).isEqualTo(200);

            awaitTrue(browser, "a non-zero requests/s point",
                    "return window.__monitor.charts.rps.data[1].some(v => v > 0)");
            awaitTrue(browser, "latency p50/p95/p99 points",
                    "const d = window.__monitor.charts.latency.data;"
                            + " return [1, 2, 3].every(i => d[i].filter(v => v > 0).length >= 2)");
            awaitTrue(browser, "TTFT points", "return window.__monitor.charts.ttft.data[1].some(v => v > 0)");
            awaitTrue(browser, "the error-rate chart to hold points",
                    "return window.__monitor.charts.errors.data[0].length >= 3");
            awaitTrue(browser, "the model's row with its 8 requests",
                    "const row = [...document.querySelectorAll('#models-table tbody tr')]"
                            + ".find(tr => tr.dataset.model === '" + TRAFFIC_MODEL + "');"
                            + " return !!row && row.querySelector('.requests').textContent === '8'");

            @SuppressWarnings("unchecked")
            List<String> cells = (List<String>) js(browser,
                    "const row = [...document.querySelectorAll('#models-table tbody tr')]"
                            + ".find(tr => tr.dataset.model === '" + TRAFFIC_MODEL + "');"
                            + " return [...row.cells].map(td => td.textContent)");
            assertThat(cells.get(0)).isEqualTo(TRAFFIC_MODEL);
            assertThat(cells.get(2)).isEqualTo("0"); // errors
            assertThat(Long.parseLong(cells.get(3).replaceAll("\\D", ""))).isPositive(); // tokens in
            assertThat(Long.parseLong(cells.get(4).replaceAll("\\D", ""))).isPositive(); // tokens out
            assertThat(cells.get(5)).matches("[0-9.,]+"); // p95
            assertThat(cells.get(6)).matches("[0-9.,]+"); // TTFT
            assertThat(cells.get(7)).isEqualTo("0"); // upstream 429s
            assertThat(js(browser, "return document.getElementById('gauge-queue-value').textContent"))
                    .asString().matches("\\d+");
            assertThat(js(browser, "return document.getElementById('link-ui').getAttribute('href')")).isEqualTo("/ui");

            browser.screenshot("monitor");

            // Dark theme by the toggle (auto → light → dark): the charts are rebuilt with their data kept.
            browser.driver().findElement(By.id("theme")).click();
            browser.driver().findElement(By.id("theme")).click();
            assertThat(js(browser, "return document.documentElement.dataset.theme")).isEqualTo("dark");
            assertThat(js(browser, "return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(17, 17, 20)");
            assertThat(js(browser, "return window.__monitor.charts.rps.data[1].some(v => v > 0)")).isEqualTo(true);
            js(browser, "document.getElementById('models-table').scrollIntoView()");
            browser.screenshot("monitor-dark-table");
            assertNoSevereConsoleEntries(browser.console());
        }
    }

    @Test
    void recommendationAndContextToolsAnswerInTheirPanels() throws Exception {
        try (Browser browser = Browser.open(1280, 1000)) {
            browser.driver().get(proxy.baseUrl() + "/monitor");

            new Select(browser.driver().findElement(By.id("rec-task"))).selectByValue("coding");
            new Select(browser.driver().findElement(By.id("rec-speed"))).selectByValue("high");
            browser.driver().findElement(By.id("recommend-submit")).click();
            awaitTrue(browser, "three recommendations",
                    "return document.querySelectorAll('#recommend-results li').length === 3");
            @SuppressWarnings("unchecked")
            List<List<String>> recs = (List<List<String>>) js(browser,
                    "return [...document.querySelectorAll('#recommend-results li')].map(li =>"
                            + " [li.querySelector('.name').textContent, li.querySelector('.score').textContent,"
                            + " li.querySelector('.reason').textContent])");
            assertThat(recs).allSatisfy(rec -> {
                assertThat(rec.get(0)).isIn(DEMO_CHAT_MODELS);
                assertThat(rec.get(1)).matches("score \\d+");
                assertThat(rec.get(2)).isNotBlank();
            });

            awaitTrue(browser, "the model list", "return !!document.querySelector('#ctx-model option[value=\"" + SMALL_MODEL + "\"]')");
            assertThat(js(browser, "return document.getElementById('ctx-model').value")).as("default model")
                    .isEqualTo(TRAFFIC_MODEL);
            new Select(browser.driver().findElement(By.id("ctx-model"))).selectByValue(SMALL_MODEL);
            browser.driver().findElement(By.id("ctx-text")).sendKeys("hello world, how many tokens is this?");
            browser.driver().findElement(By.id("context-submit")).click();
            awaitTrue(browser, "a token count that fits",
                    "return !document.getElementById('context-result').hidden"
                            + " && document.getElementById('ctx-fits').dataset.fits === 'true'");
            assertThat(Integer.parseInt(text(browser, "ctx-tokens"))).isBetween(5, 20);
            assertThat(text(browser, "ctx-limit").replaceAll("\\D", "")).isEqualTo("8191");
            assertThat(js(browser, "return document.getElementById('context-error').hidden")).isEqualTo(true);

            // Over text-embedding-3-small's 8191-token input limit: an error and models that do take it.
            js(browser, "document.getElementById('ctx-text').value = 'hello world '.repeat(4500)");
            browser.driver().findElement(By.id("context-submit")).click();
            awaitTrue(browser, "the too-long error with suggestions",
                    "return !document.getElementById('context-error').hidden"
                            + " && document.querySelectorAll('#context-suggestions li').length > 0");
            assertThat(js(browser, "return document.getElementById('ctx-fits').dataset.fits")).isEqualTo("false");
            assertThat(text(browser, "context-error")).contains("Too long for " + SMALL_MODEL);
            assertThat(Integer.parseInt(text(browser, "ctx-tokens").replaceAll("\\D", ""))).isGreaterThan(8191);
            @SuppressWarnings("unchecked")
            List<String> suggested = (List<String>) js(browser,
                    "return [...document.querySelectorAll('#context-suggestions li')].map(li => li.textContent)");
            assertThat(suggested).hasSizeBetween(1, 3).doesNotContain(SMALL_MODEL);
            js(browser, "document.getElementById('recommend-form').scrollIntoView()");
            browser.screenshot("monitor-tools");
            for (String model : suggested) {
                HttpResponse<String> r = proxy.postJson("/v1/check-context",
                        "{\"model\":\"" + model + "\",\"text\":\"" + "hello world ".repeat(4500) + "\"}");
                assertThat(r.body()).as(model).contains("\"fits\":true");
            }
            assertNoSevereConsoleEntries(browser.console());
        }
    }

    @Test
    void serverTextThatLooksLikeHtmlStaysText() throws Exception {
        // Through the proxy, an id with markup is refused before it is counted; one with quotes is counted as "other".
        HttpResponse<String> refused = proxy.postJson("/v1/chat/completions", chat(XSS, false, 5, "x"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("model_placeholder");
        HttpResponse<String> unknown = proxy.postJson("/v1/chat/completions",
                chat("evil\\\" onmouseover=\\\"window.__xss=1", false, 5, "x"));
        assertThat(unknown.statusCode()).isEqualTo(404);

        try (Browser browser = Browser.open(1280, 1000)) {
            browser.driver().get(proxy.baseUrl() + "/monitor");
            awaitTrue(browser, "the row of the unknown model, labelled other",
                    "return [...document.querySelectorAll('#models-table tbody tr')]"
                            + ".some(tr => tr.dataset.model === 'other')");
            assertThat(js(browser, "return [...document.querySelectorAll('#models-table tbody tr')]"
                    + ".filter(tr => tr.dataset.model.includes('\"') || tr.dataset.model.includes('<')).length"))
                    .isEqualTo(0L);

            // Error messages echo what was sent: a model id and a task value made of markup.
            awaitTrue(browser, "the model list", "return document.querySelectorAll('#ctx-model option').length > 0");
            js(browser, "const o = new Option(arguments[0], arguments[0]);"
                    + " document.getElementById('ctx-model').add(o); o.selected = true", XSS);
            browser.driver().findElement(By.id("ctx-text")).sendKeys("hello");
            browser.driver().findElement(By.id("context-submit")).click();
            awaitTrue(browser, "the unknown-model error with the proxy's suggestions",
                    "return !document.getElementById('context-error').hidden"
                            + " && document.querySelectorAll('#context-suggestions li').length > 0");
            assertThat(text(browser, "context-error")).contains(XSS);

            js(browser, "const o = new Option(arguments[0], arguments[0]);"
                    + " document.getElementById('rec-task').add(o); o.selected = true",
                    "<img src=y onerror=window.__xss=2>");
            browser.driver().findElement(By.id("recommend-submit")).click();
            awaitTrue(browser, "the recommendation error",
                    "return !document.getElementById('recommend-error').hidden");
            assertThat(text(browser, "recommend-error")).contains("<img src=y onerror=window.__xss=2>");

            // Give an injected image every chance to load and fire before looking.
            awaitTrue(browser, "two more polls", "return window.__monitor.polls >= " + (polls(browser) + 2));
            assertThat(js(browser, "return document.querySelectorAll('img').length")).isEqualTo(0L);
            assertThat(js(browser, "return typeof window.__xss")).isEqualTo("undefined");
            // The 404 and 400 answers above are logged by Chromium as failed loads; nothing else may be.
            assertThat(browser.console()).noneSatisfy(entry -> {
                assertThat(entry.getLevel().getName()).isEqualTo("SEVERE");
                assertThat(entry.getMessage()).doesNotContain("Failed to load resource");
            });
        }
    }

    @Test
    void showsUpstream429sAndHowLongALimitedModelIsPaused() throws Exception {
        String body = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit of 15 per 60s exceeded"
                + " for UserByModelByMinute. Please wait 46 seconds before retrying.\",\"details\":\"x\"}}";
        try (FakeUpstream upstream = listing(FakeUpstream.start(false), TRAFFIC_MODEL);
             ProxyUnderTest limited = ProxyUnderTest.start(upstream, Map.of())) {
            upstream.handler((request, exchange) -> exchange.respond(429, Map.of("content-type", "application/json",
                    "retry-after", "46", "x-ratelimit-type", "UserByModelByMinute", "x-ratelimit-timeremaining", "46"),
                    body.getBytes(StandardCharsets.UTF_8)));
            HttpResponse<String> r = limited.postJson("/v1/chat/completions", chat(TRAFFIC_MODEL, false, 5, "x"));
            assertThat(r.statusCode()).isEqualTo(429);

            try (Browser browser = Browser.open(1280, 1000)) {
                browser.driver().get(limited.baseUrl() + "/monitor");
                String row = "[...document.querySelectorAll('#models-table tbody tr')]"
                        + ".find(tr => tr.dataset.model === '" + TRAFFIC_MODEL + "')";
                awaitTrue(browser, "the model's row with its upstream 429",
                        "const row = " + row + "; return !!row && row.querySelector('.upstream429').textContent === '1'");
                assertThat(js(browser, "return " + row + ".querySelector('.paused').textContent"))
                        .asString().contains("per-minute limit");
                assertThat(js(browser, "return " + row + ".classList.contains('limited')")).isEqualTo(true);
                assertThat(js(browser, "return " + row + ".querySelector('.errors').textContent")).isEqualTo("1");
                js(browser, "document.getElementById('models-table').scrollIntoView()");
                browser.screenshot("monitor-limited");
            }
        }
    }

    @Test
    void fitsAPhoneWithoutSidewaysScrolling() {
        try (Browser browser = Browser.open(390, 844)) {
            // Headless Chromium keeps a minimum window width above 390 px, so the phone's viewport is emulated.
            browser.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
            browser.driver().get(proxy.baseUrl() + "/monitor");
            assertThat(js(browser, "return window.innerWidth")).isEqualTo(390L);
            awaitTrue(browser, "two polls", "return window.__monitor.polls >= 2"
                    + " && document.getElementById('status').dataset.state === 'live'");
            assertThat((Long) js(browser, "return document.documentElement.scrollWidth"))
                    .isLessThanOrEqualTo((Long) js(browser, "return document.documentElement.clientWidth"));
            assertThat((Long) js(browser, "return Math.round(window.__monitor.charts.rps.width)")).isBetween(200L, 370L);
            browser.screenshot("monitor-phone");
            assertNoSevereConsoleEntries(browser.console());
        }
    }

    @Test
    void pauseStopsPollingAndResumeStartsAgain() {
        try (Browser browser = Browser.open(1280, 800)) {
            browser.driver().get(proxy.baseUrl() + "/monitor");
            awaitTrue(browser, "the first poll", "return window.__monitor.polls >= 1");
            browser.driver().findElement(By.id("pause")).click();
            awaitTrue(browser, "the paused state", "return document.getElementById('status').dataset.state === 'paused'"
                    + " && !window.__monitor.state.inFlight && window.__monitor.state.timer === null");
            assertThat(js(browser, "return document.getElementById('pause').getAttribute('aria-pressed')"))
                    .isEqualTo("true");
            long paused = polls(browser);
            browser.driver().findElement(By.id("pause")).click();
            awaitTrue(browser, "polling again", "return window.__monitor.polls > " + paused
                    + " && document.getElementById('status').dataset.state === 'live'");
            assertNoSevereConsoleEntries(browser.console());
        }
    }

    @Test
    void saysSoWhenTheProxyIsUnreachable() {
        ProxyUnderTest doomed = ProxyUnderTest.start(Map.of());
        boolean closed = false;
        try (Browser browser = Browser.open(1280, 800)) {
            browser.driver().get(doomed.baseUrl() + "/monitor");
            awaitTrue(browser, "live", "return document.getElementById('status').dataset.state === 'live'");
            doomed.close();
            closed = true;
            awaitTrue(browser, "the unreachable indicator",
                    "return document.getElementById('status').dataset.state === 'unreachable'");
            assertThat(text(browser, "status-text")).contains("unreachable");
        } finally {
            if (!closed) {
                doomed.close();
            }
        }
    }

    @Test
    void upstreamsPanelShowsEachUpstreamsCountersAndListState(@TempDir Path dir) throws Exception {
        // a answers 503, so the alias fast moves on to b; old is the retired GitHub Models, unreachable.
        try (FakeUpstream a = FakeUpstream.start(false); FakeUpstream b = listing(FakeUpstream.start(false), "m2")) {
            a.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\",\"code\":\"busy\"}}"));
            b.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
            Path file = writeConfig(dir, """
                    upstreams:
                      - name: a
                        kind: openai-compatible
                        base_url: %s/v1
                        models: [m1]
                      - name: b
                        kind: openai-compatible
                        base_url: %s/v1
                      - name: old
                        kind: github-models
                        base_url: http://127.0.0.1:1/inference
                        api_key: gh-token
                        catalog_url: http://127.0.0.1:1/catalog/models
                    routes:
                      fast: [a/m1, b/m2]
                    """.formatted(a.baseUrl(), b.baseUrl()));
            try (ProxyUnderTest routed = ProxyUnderTest.start(Map.of("CONFIG_FILE", file.toString()));
                 Browser browser = Browser.open(1280, 1000)) {
                HttpResponse<String> r = routed.postJson("/v1/chat/completions", chat("fast", false, 5, "x"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");

                browser.driver().get(routed.baseUrl() + "/monitor");
                awaitTrue(browser, "a with its failover and b with its request",
                        "const row = (n) => document.querySelector('#upstreams-body tr[data-upstream=\"' + n + '\"]');"
                                + " return !!row('a') && !!row('b')"
                                + " && row('a').querySelector('.failovers').textContent === '1'"
                                + " && row('b').querySelector('.requests').textContent === '1'");
                @SuppressWarnings("unchecked")
                List<List<String>> rows = (List<List<String>>) js(browser,
                        "return [...document.querySelectorAll('#upstreams-body tr')]"
                                + ".map(tr => [tr.dataset.upstream, ...[...tr.cells].map(td => td.textContent)])");
                assertThat(rows).extracting(row -> row.get(0)).containsExactly("a", "b", "old");
                // name, kind, reachable, models, requests, errors, failovers
                assertThat(rows.get(0).subList(1, 8))
                        .containsExactly("a", "openai-compatible", "unknown", "1", "1", "1", "1");
                assertThat(rows.get(1).subList(1, 8))
                        .containsExactly("b", "openai-compatible", "yes", "1", "1", "0", "0");
                assertThat(rows.get(2).get(1)).isEqualTo("old retired");
                assertThat(rows.get(2).subList(2, 8))
                        .containsExactly("github-models", "no", "58", "0", "0", "0");
                String old = "document.querySelector('#upstreams-body tr[data-upstream=\"old\"]')";
                assertThat(js(browser, "return " + old + ".classList.contains('retired')")).isEqualTo(true);
                assertThat(js(browser, "return " + old + ".querySelector('.retired-badge').title"))
                        .asString().contains("retired");
                assertThat(js(browser, "return document.getElementById('upstreams-empty').hidden")).isEqualTo(true);
                assertThat(js(browser, "return document.getElementById('clients-panel').hidden"))
                        .as("no clients: configured").isEqualTo(true);
                js(browser, "document.getElementById('upstreams-table').scrollIntoView()");
                browser.screenshot("monitor-upstreams");
                assertNoSevereConsoleEntries(browser.console());
            }
        }
    }

    @Test
    void clientsPanelShowsEachClientWithItsBudgetUsingTheSavedKey(@TempDir Path dir) throws Exception {
        String key = "team-a-monitor-key-0123";
        try (FakeUpstream b = FakeUpstream.start(false)) {
            b.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
            Path file = writeConfig(dir, """
                    upstreams:
                      - name: b
                        kind: openai-compatible
                        base_url: %s/v1
                        models: [m2]
                    clients:
                      - name: team-a
                        key_sha256: %s
                        limits: {rpm: 5, monthly_tokens: 1000}
                    """.formatted(b.baseUrl(), sha256Hex(key)));
            try (ProxyUnderTest keyed = ProxyUnderTest.start(Map.of("CONFIG_FILE", file.toString()));
                 Browser browser = Browser.open(1280, 1000)) {
                browser.driver().get(keyed.baseUrl() + "/monitor");
                awaitTrue(browser, "the key request",
                        "return document.getElementById('status').dataset.state === 'unauthorized'");
                assertThat(js(browser, "return document.getElementById('clients-panel').hidden")).isEqualTo(true);
                browser.driver().findElement(By.id("proxy-key")).sendKeys(key);
                browser.driver().findElement(By.id("proxy-key-save")).click();
                awaitTrue(browser, "live with the client's key",
                        "return document.getElementById('status').dataset.state === 'live'");

                HttpResponse<String> r = keyed.postJson("/v1/chat/completions", chat("m2", false, 5, "x"),
                        "Authorization", "Bearer " + key);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                String row = "document.querySelector('#clients-body tr[data-client=\"team-a\"]')";
                awaitTrue(browser, "team-a's row with its request",
                        "return !document.getElementById('clients-panel').hidden && !!" + row
                                + " && " + row + ".querySelector('.requests-today').textContent === '1'");
                @SuppressWarnings("unchecked")
                List<String> cells = (List<String>) js(browser,
                        "return [..." + row + ".cells].map(td => td.textContent)");
                assertThat(cells.get(0)).isEqualTo("team-a");
                assertThat(cells.get(1)).isEqualTo("0"); // in flight
                assertThat(cells.get(2)).isEqualTo("1"); // requests today
                // the fake's usage is 5 tokens; the budget is 1,000 (however the browser groups digits)
                assertThat(cells.get(3)).matches("5 / 1\\D?000");
                assertThat(cells.get(4)).isEqualTo("0"); // rejected
                assertThat(js(browser, "return " + row + ".cells[0].title")).asString()
                        .contains("5 requests/min").containsPattern("1\\D?000 tokens/month");

                // rpm 5: the sixth request of the minute is refused, and the panel counts it.
                int refused = 0;
                for (int i = 0; i < 5; i++) {
                    int status = keyed.postJson("/v1/chat/completions", chat("m2", false, 5, "x" + i),
                            "Authorization", "Bearer " + key).statusCode();
                    refused += status == 429 ? 1 : 0;
                }
                assertThat(refused).isEqualTo(1);
                awaitTrue(browser, "the rejected request",
                        "return " + row + ".querySelector('.rejected').textContent === '1'");
                js(browser, "document.getElementById('clients-table').scrollIntoView()");
                browser.screenshot("monitor-clients");
            }
        }
    }

    @Test
    void sendsTheSavedProxyKeyWhenTheServerRequiresOne() {
        try (ProxyUnderTest keyed = ProxyUnderTest.start(Map.of("PROXY_SERVER_KEY", "monitor-key-123"));
             Browser browser = Browser.open(1280, 800)) {
            browser.driver().get(keyed.baseUrl() + "/monitor");
            awaitTrue(browser, "the key request",
                    "return document.getElementById('status').dataset.state === 'unauthorized'");
            browser.driver().findElement(By.id("proxy-key")).sendKeys("monitor-key-123");
            browser.driver().findElement(By.id("proxy-key-save")).click();
            awaitTrue(browser, "live with the key", "return document.getElementById('status').dataset.state === 'live'");
            awaitTrue(browser, "the model list, fetched with the key",
                    "return document.querySelectorAll('#ctx-model option').length === 7"
                            + " && !!document.querySelector('#ctx-model option[value=\"" + TRAFFIC_MODEL + "\"]')");
            assertThat(js(browser, "return localStorage.getItem('llm-proxy.proxyKey')")).isEqualTo("monitor-key-123");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** {@code upstream}, listing exactly {@code ids} on GET /models (call before a proxy starts in front of it). */
    private static FakeUpstream listing(FakeUpstream upstream, String... ids) {
        upstream.listModels(List.of(ids));
        return upstream;
    }

    private static Path writeConfig(Path dir, String yaml) throws IOException {
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** What {@code key_sha256:} takes: the lowercase hex SHA-256 of the key. */
    private static String sha256Hex(String key) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    private static String chat(String model, boolean stream, int maxTokens, String content) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private static Object js(Browser browser, String script, Object... args) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script, args);
    }

    private static String text(Browser browser, String id) {
        return (String) js(browser, "return document.getElementById(arguments[0]).textContent", id);
    }

    private static long polls(Browser browser) {
        return (Long) js(browser, "return window.__monitor.polls");
    }

    /** Polls a boolean script until it is true; fails with {@code what} after the deadline. */
    private static void awaitTrue(Browser browser, String what, String script) {
        await(what, () -> {
            try {
                return Boolean.TRUE.equals(js(browser, script));
            } catch (WebDriverException e) {
                return false; // the page is still loading, or the script's element is not there yet
            }
        });
    }

    private static void await(String what, Supplier<Boolean> condition) {
        Awaitility.await(what).atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(condition::get);
    }

    private static void assertNoSevereConsoleEntries(List<LogEntry> entries) {
        assertThat(entries).noneSatisfy(entry -> assertThat(entry.getLevel().getName()).isEqualTo("SEVERE"));
    }
}
