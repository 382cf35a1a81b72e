package dev.llmproxy.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.Select;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The chat page in headless Chromium against the real proxy: the model picker from {@code /v1/models}, a reply that
 * streams in and ends with its stats, Stop cancelling the upstream call, the whole history sent each turn, an SSE
 * stream split at awkward byte boundaries, model output that cannot run script, errors with clickable model
 * suggestions, a proxy key asked for and carried to {@code /tts}, and a phone-width layout.
 */
class ChatUiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** Demo upstream paced at 60 ms a token, so a reply takes seconds: long enough to watch it grow and to stop it. */
    private static ProxyUnderTest demo;

    @BeforeAll
    static void start() {
        demo = ProxyUnderTest.start(Map.of("DEMO_TOKEN_DELAY_MS", "60"));
    }

    @AfterAll
    static void stop() {
        demo.close();
    }

    @Test
    void picksAModelThenStreamsTheReplyIncrementallyAndShowsItsStats() {
        try (Browser browser = Browser.open(1280, 860)) {
            WebDriver driver = openChat(browser, demo);

            // Grouped by owner (the demo's owned_by, by its display name), with each model's context size; chat
            // models only.
            List<String> groups = strings(js(driver, "return [...document.querySelectorAll('#model optgroup')].map(g => g.label)"));
            assertThat(groups).containsExactly("Meta", "Mistral AI", "OpenAI");
            assertThat(new Select(driver.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"))
                    .as("default model").isEqualTo("gpt-4o-mini");
            assertThat(optionText(driver, "gpt-4o-mini")).contains("128K");
            assertThat(optionText(driver, "gpt-4.1")).contains("1M");
            assertThat(optionText(driver, "llama3.2:3b")).contains("128K");
            assertThat(driver.findElements(By.cssSelector("#model option[value='text-embedding-3-small']")))
                    .as("an embeddings model is no chat model").isEmpty();

            // The filter narrows the list (the current choice stays, so the selection never jumps).
            driver.findElement(By.id("model-filter")).sendKeys("llama");
            List<String> shown = strings(js(driver, "return [...document.querySelectorAll('#model option')].map(o => o.value)"));
            assertThat(shown).containsExactlyInAnyOrder("gpt-4o-mini", "llama3.2:3b");
            new Select(driver.findElement(By.id("model"))).selectByValue("llama3.2:3b");

            send(driver, "Tell me about streaming");
            // Observe the reply while it streams: at least two different non-empty lengths before it is done.
            TreeSet<Integer> lengthsWhileStreaming = new TreeSet<>();
            long end = System.nanoTime() + DEADLINE.toNanos();
            String state;
            do {
                Map<?, ?> snap = (Map<?, ?>) js(driver, "const m = [...document.querySelectorAll('.msg.assistant')].pop();"
                        + "return {state: m.dataset.state, len: m.querySelector('.msg-body').textContent.length}");
                state = (String) snap.get("state");
                int len = ((Number) snap.get("len")).intValue();
                if (state.equals("streaming") && len > 0) {
                    lengthsWhileStreaming.add(len);
                }
            } while (!state.equals("done") && !state.equals("error") && System.nanoTime() < end);
            assertThat(state).isEqualTo("done");
            assertThat(lengthsWhileStreaming).as("text lengths seen while streaming").hasSizeGreaterThanOrEqualTo(2);

            WebElement reply = lastAssistant(driver);
            String text = reply.findElement(By.cssSelector(".msg-body")).getText();
            assertThat(text).startsWith("Hello! This is the llm-proxy demo upstream.")
                    .contains("llama3.2:3b").contains("Tell me about streaming");
            assertThat(lengthsWhileStreaming.first()).isLessThan(text.length());
            String stats = reply.findElement(By.cssSelector(".reply-stats")).getText();
            assertThat(stats).containsPattern("TTFT \\d+ ms").containsPattern("[\\d.]+ tokens/s")
                    .containsPattern("tokens: \\d+ in · \\d+ out · \\d+ total");
            assertThat(reply.findElements(By.cssSelector(".msg-actions .play"))).hasSize(1);
            assertThat(driver.findElement(By.id("send")).isEnabled()).isTrue();
            assertThat(driver.findElement(By.id("stop")).isEnabled()).isFalse();

            // A second turn, then screenshots of the conversation in light and dark.
            send(driver, "And **again**, in one line");
            awaitState(driver, 2, "done");
            assertThat(driver.findElements(By.cssSelector(".msg.user"))).hasSize(2);
            browser.screenshot("ui");
            driver.findElement(By.id("theme-toggle")).click(); // system → light
            driver.findElement(By.id("theme-toggle")).click(); // light → dark
            assertThat(js(driver, "return document.documentElement.dataset.theme")).isEqualTo("dark");
            browser.screenshot("ui-dark");

            // New chat clears the view and the history.
            driver.findElement(By.id("new-chat")).click();
            assertThat(driver.findElements(By.cssSelector(".msg"))).isEmpty();
            assertNoSevereConsole(browser.console());
        }
    }

    @Test
    void stopEndsTheStreamAndTheProxyCancelsTheUpstreamCall() throws Exception {
        try (Browser browser = Browser.open(1280, 800)) {
            WebDriver driver = openChat(browser, demo);
            double cancelledBefore = cancelledWhileStreaming();

            send(driver, "A reply I will not wait for");
            await().atMost(DEADLINE).pollInterval(Duration.ofMillis(20)).until(() ->
                    "streaming".equals(lastAssistant(driver).getAttribute("data-state"))
                            && !lastAssistant(driver).findElement(By.cssSelector(".msg-body")).getText().isEmpty());
            assertThat(driver.findElement(By.id("stop")).isEnabled()).isTrue();
            driver.findElement(By.id("stop")).click();

            awaitState(driver, 1, "stopped");
            String shown = lastAssistant(driver).findElement(By.cssSelector(".msg-body")).getText();
            assertThat(shown).isNotEmpty().doesNotContain("and restart the proxy."); // the reply's last words
            assertThat(driver.findElement(By.id("stop")).isEnabled()).isFalse();
            assertThat(driver.findElement(By.id("send")).isEnabled()).isTrue();
            assertThat(lastAssistant(driver).findElement(By.cssSelector(".reply-stats")).getText()).contains("finish: stopped");

            // The proxy saw the client go away mid-stream and closed the upstream call.
            await().atMost(DEADLINE).until(() -> cancelledWhileStreaming() > cancelledBefore);
            assertThat(lastAssistant(driver).findElement(By.cssSelector(".msg-body")).getText())
                    .as("nothing more rendered after Stop").isEqualTo(shown);
            assertNoSevereConsole(browser.console());
        }
    }

    @Test
    void eachTurnSendsTheWholeHistoryAndTheSettingsEvenWhenTheStreamIsSplitAwkwardly() throws Exception {
        String reply = "Привіт, світе! Line two 🎉";
        // Without gpt-4o-mini in the list, the default is the first listed chat model: the embeddings one is skipped.
        try (FakeUpstream upstream = listing(FakeUpstream.start(false), "text-embedding-3-small", "llama3.2:3b", "gpt-4.1");
             ProxyUnderTest proxy = ProxyUnderTest.start(upstream, Map.of());
             Browser browser = Browser.open(1280, 800)) {
            upstream.handler(FakeUpstream.sse(awkwardlySplitStream(), Duration.ofMillis(5)));
            WebDriver driver = openChat(browser, proxy);

            driver.findElement(By.id("settings-toggle")).click();
            driver.findElement(By.id("system-prompt")).sendKeys("Be brief.");
            driver.findElement(By.id("temperature")).sendKeys("0.3");
            driver.findElement(By.id("max-tokens")).sendKeys("50");
            driver.findElement(By.id("max-tokens")).sendKeys(Keys.TAB); // change event: saved

            send(driver, "First question");
            awaitState(driver, 1, "done");
            assertThat(lastAssistant(driver).findElement(By.cssSelector(".msg-body")).getText()).isEqualTo(reply);
            assertThat(lastAssistant(driver).findElement(By.cssSelector(".reply-stats")).getText())
                    .contains("tokens: 11 in · 7 out · 18 total");

            send(driver, "Second question");
            awaitState(driver, 2, "done");

            List<RecordedRequest> chats = upstream.requests().stream()
                    .filter(r -> r.uri().endsWith("/chat/completions")).toList();
            assertThat(chats).hasSize(2);
            JsonNode first = chats.get(0).bodyJson();
            assertThat(first.path("stream").asBoolean()).isTrue();
            assertThat(first.path("stream_options").path("include_usage").asBoolean()).isTrue();
            assertThat(first.path("model").asText()).isEqualTo("llama3.2:3b");
            assertThat(first.path("temperature").asDouble()).isEqualTo(0.3);
            assertThat(first.path("max_tokens").asInt()).isEqualTo(50);
            assertThat(messages(first)).containsExactly("system: Be brief.", "user: First question");
            assertThat(messages(chats.get(1).bodyJson())).containsExactly("system: Be brief.",
                    "user: First question", "assistant: " + reply, "user: Second question");

            // Settings survive a reload.
            driver.navigate().refresh();
            awaitModels(driver);
            assertThat(driver.findElement(By.id("system-prompt")).getAttribute("value")).isEqualTo("Be brief.");
            assertThat(driver.findElement(By.id("temperature")).getAttribute("value")).isEqualTo("0.3");
            assertThat(driver.findElement(By.id("max-tokens")).getAttribute("value")).isEqualTo("50");
            assertNoSevereConsole(browser.console());
        }
    }

    @Test
    void newChatMidStreamStartsAnEmptyHistory() {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            chunks.add(FakeUpstream.sseEvent("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word" + i + " \"}}]}"));
        }
        chunks.add(FakeUpstream.sseEvent("[DONE]"));
        try (FakeUpstream upstream = FakeUpstream.start(false);
             ProxyUnderTest proxy = ProxyUnderTest.start(upstream, Map.of());
             Browser browser = Browser.open(1280, 800)) {
            upstream.handler(FakeUpstream.sse(chunks, Duration.ofMillis(50)));
            WebDriver driver = openChat(browser, proxy);
            send(driver, "Old topic");
            await().atMost(DEADLINE).until(() -> lastAssistant(driver).getText().contains("word1"));
            driver.findElement(By.id("new-chat")).click();
            assertThat(driver.findElements(By.cssSelector(".msg"))).isEmpty();

            send(driver, "Fresh topic");
            awaitState(driver, 1, "done");
            List<RecordedRequest> chats = upstream.requests().stream()
                    .filter(r -> r.uri().endsWith("/chat/completions")).toList();
            assertThat(chats).hasSize(2);
            assertThat(messages(chats.get(1).bodyJson())).containsExactly("user: Fresh topic");
            assertNoSevereConsole(browser.console());
        }
    }

    @Test
    void modelOutputIsSanitizedMarkdownThatCannotRunScript() throws Exception {
        String markdown = "Hello **bold** <img src=x onerror=\"window.__xss=1;document.title='pwned'\">"
                + " <script>window.__xss=2;document.title='pwned'</script>"
                + " [js link](javascript:window.__xss=3)\n\n"
                + "<svg onload=\"window.__xss=4\"></svg>\n\n"
                + "```js\nconsole.log('<b>not bold</b>')\n```\n";
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < markdown.length(); i += 9) { // in pieces, so partial tags are rendered along the way
            String piece = markdown.substring(i, Math.min(markdown.length(), i + 9));
            chunks.add(FakeUpstream.sseEvent("{\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                    + JSON.writeValueAsString(piece) + "}}]}"));
        }
        chunks.add(FakeUpstream.sseEvent("[DONE]"));
        try (FakeUpstream upstream = FakeUpstream.start(false);
             ProxyUnderTest proxy = ProxyUnderTest.start(upstream, Map.of());
             Browser browser = Browser.open(1280, 800)) {
            upstream.handler(FakeUpstream.sse(chunks, Duration.ofMillis(2)));
            WebDriver driver = openChat(browser, proxy);
            send(driver, "Say something dangerous");
            awaitState(driver, 1, "done");

            WebElement reply = lastAssistant(driver);
            assertThat(reply.findElements(By.cssSelector("img, script, svg, [onerror], [onload], a[href^='javascript']")))
                    .isEmpty();
            assertThat(reply.findElement(By.cssSelector(".msg-body strong")).getText()).isEqualTo("bold");
            // Raw HTML from the model is shown as the text it is; a javascript: link loses its href.
            assertThat(reply.findElement(By.cssSelector(".msg-body")).getText())
                    .contains("<img src=x onerror=").contains("<script>window.__xss=2");
            WebElement link = reply.findElement(By.xpath(".//a[text()='js link']"));
            assertThat(link.getAttribute("href")).isNull();
            WebElement code = reply.findElement(By.cssSelector(".code-block pre code"));
            assertThat(code.getText()).isEqualTo("console.log('<b>not bold</b>')");
            assertThat(reply.findElements(By.cssSelector(".code-block .copy-code"))).hasSize(1);
            assertThat(js(driver, "return typeof window.__xss")).isEqualTo("undefined");
            assertThat(driver.getTitle()).isEqualTo("llm-proxy chat");
            assertNoSevereConsole(browser.console());
        }
    }

    @Test
    void aStreamEndingWithAnErrorEventKeepsThePartialReplyAndShowsTheError() throws Exception {
        List<byte[]> chunks = List.of(
                FakeUpstream.sseEvent("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial \"}}]}"),
                FakeUpstream.sseEvent("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"}}]}"),
                FakeUpstream.sseEvent("{\"error\":{\"message\":\"<b>upstream</b> went away\",\"type\":\"server_error\","
                        + "\"param\":null,\"code\":\"upstream_connection_lost\"}}"));
        try (FakeUpstream upstream = FakeUpstream.start(false);
             ProxyUnderTest proxy = ProxyUnderTest.start(upstream, Map.of());
             Browser browser = Browser.open(1280, 800)) {
            upstream.handler(FakeUpstream.sse(chunks, Duration.ofMillis(5)));
            WebDriver driver = openChat(browser, proxy);
            send(driver, "Go");
            awaitState(driver, 1, "error");
            WebElement reply = lastAssistant(driver);
            assertThat(reply.findElement(By.cssSelector(".msg-body")).getText()).isEqualTo("Partial answer");
            WebElement error = reply.findElement(By.cssSelector(".error"));
            assertThat(error.getAttribute("data-code")).isEqualTo("upstream_connection_lost");
            // The server's message is text, not markup.
            assertThat(error.findElement(By.cssSelector(".error-message")).getText()).isEqualTo("<b>upstream</b> went away");
            assertThat(error.findElements(By.tagName("b"))).isEmpty();
            assertNoSevereConsole(browser.console());
        }
    }

    @Test
    void anErrorShowsItsMessageAndSuggestionsThatSwitchTheModel() {
        try (Browser browser = Browser.open(1280, 800)) {
            // A model saved by an older session that the upstream does not list (GitHub Models' id of gpt-4o-mini):
            // still offered, as it is, so the selection does not change silently.
            WebDriver driver = openChat(browser, demo);
            js(driver, "localStorage.setItem('llm-proxy.ui.settings', JSON.stringify({model: 'openai/gpt-4o-mini'}))");
            driver.navigate().refresh();
            awaitModels(driver);
            assertThat(new Select(driver.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"))
                    .isEqualTo("openai/gpt-4o-mini");
            assertThat(optionText(driver, "openai/gpt-4o-mini")).isEqualTo("openai/gpt-4o-mini");

            send(driver, "Hello there");
            awaitState(driver, 1, "error");
            WebElement error = lastAssistant(driver).findElement(By.cssSelector(".error"));
            assertThat(error.getAttribute("data-code")).isEqualTo("model_not_found");
            assertThat(error.getText()).contains("404").contains("'openai/gpt-4o-mini' does not exist");
            List<WebElement> suggestions = error.findElements(By.cssSelector(".suggestion"));
            assertThat(suggestions).isNotEmpty();
            String suggested = suggestions.get(0).getAttribute("data-model");
            assertThat(suggested).as("the near miss first").isEqualTo("gpt-4o-mini");
            assertThat(suggestions.get(0).getText()).isEqualTo(suggested);
            assertThat(driver.findElement(By.id("prompt")).getAttribute("value")).as("ready to resend").isEqualTo("Hello there");

            suggestions.get(0).click();
            assertThat(new Select(driver.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"))
                    .isEqualTo(suggested);
            driver.findElement(By.id("prompt")).sendKeys(Keys.ENTER);
            awaitState(driver, 2, "done");
            assertThat(lastAssistant(driver).findElement(By.cssSelector(".msg-body")).getText()).contains(suggested);
            assertNoSevereConsole(browser.console(), "status of 404");
        }
    }

    @Test
    void aProxyThatNeedsAKeyAsksForItAndTheReplyAudioCarriesIt() throws Exception {
        String key = "ui-key-0123";
        try (ProxyUnderTest keyed = ProxyUnderTest.start(Map.of("PROXY_SERVER_KEY", key, "DEMO_TOKEN_DELAY_MS", "1"));
             Browser browser = Browser.open(1280, 800)) {
            WebDriver driver = browser.driver();
            driver.get(keyed.baseUrl() + "/ui");
            WebElement pageError = await().atMost(DEADLINE).until(
                    () -> driver.findElements(By.cssSelector(".error[data-code='proxy_key_invalid']")), l -> !l.isEmpty()).get(0);
            assertThat(pageError.getText()).contains("401");
            assertThat(driver.findElement(By.id("settings")).isDisplayed()).isTrue();
            assertThat(driver.switchTo().activeElement().getAttribute("id")).isEqualTo("proxy-key");

            driver.findElement(By.id("proxy-key")).sendKeys(key);
            new Select(driver.findElement(By.id("voice"))).selectByValue("natalia");
            driver.findElement(By.id("proxy-key")).sendKeys(Keys.TAB);
            awaitModels(driver);
            assertThat(driver.findElements(By.cssSelector(".page-error"))).isEmpty();

            send(driver, "Read this aloud");
            awaitState(driver, 1, "done");
            lastAssistant(driver).findElement(By.cssSelector(".play")).click();
            WebElement audio = lastAssistant(driver).findElement(By.cssSelector("audio[controls]"));
            String src = audio.getAttribute("src");
            assertThat(src).contains("/tts?text=Hello").contains("voice=natalia").contains("key=" + key);
            // The browser loads it (the proxy accepted the key), and the same URL answers audio.
            await().atMost(DEADLINE).until(() -> ((Number) js(driver,
                    "return document.querySelector('.msg.assistant audio').readyState")).intValue() >= 1);
            HttpResponse<String> direct = keyed.get(src.substring(src.indexOf("/tts")));
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(direct.headers().firstValue("content-type").orElse("")).startsWith("audio/");

            // The key is remembered.
            driver.navigate().refresh();
            awaitModels(driver);
            assertThat(driver.findElement(By.id("proxy-key")).getAttribute("value")).isEqualTo(key);
            assertNoSevereConsole(browser.console(), "status of 401");
        }
    }

    @Test
    void fitsAPhoneWidthScreenWithoutHorizontalScroll() {
        try (Browser browser = Browser.open(390, 844)) {
            // Headless Chromium keeps a window at least 500 px wide: emulate the phone's viewport instead.
            browser.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
            WebDriver driver = openChat(browser, demo);
            assertThat(((Number) js(driver, "return window.innerWidth")).intValue()).isEqualTo(390);
            send(driver, "A long unbroken word: " + "x".repeat(150) + " and a URL https://example.com/" + "a/".repeat(60));
            awaitState(driver, 1, "done");
            assertNoHorizontalScroll(driver);
            browser.screenshot("ui-phone");
            driver.findElement(By.id("settings-toggle")).click();
            assertThat(driver.findElement(By.id("settings")).isDisplayed()).isTrue();
            assertNoHorizontalScroll(driver);
            browser.screenshot("ui-phone-settings");
            // The narrowest common phone too.
            browser.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 360, "height", 740, "deviceScaleFactor", 1, "mobile", true));
            assertThat(((Number) js(driver, "return window.innerWidth")).intValue()).isEqualTo(360);
            assertNoHorizontalScroll(driver);
            assertNoSevereConsole(browser.console());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A stream whose events use CRLF, LF and bare CR line ends, a comment, an {@code event:} line, a JSON payload
     * spread over two {@code data:} lines, then cut into pieces that split a CR LF pair and multi-byte UTF-8
     * characters.
     */
    private static List<byte[]> awkwardlySplitStream() {
        String stream = ": keep-alive\r\n\r\n"
                + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"role\":\"assistant\",\"content\":\"Привіт\"}}]}\r\n\r\n"
                + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\", світе! \"}}]}\r\n\r\n"
                + "event: message\ndata: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Line two 🎉\"},"
                + "\"finish_reason\":null}]}\n\n"
                + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\r"
                + "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,"
                + "\"total_tokens\":18}}\n\n"
                + "data: [DONE]\n\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        TreeSet<Integer> cuts = new TreeSet<>();
        cuts.add(indexOf(bytes, "\r\ndata: \"delta\"".getBytes(StandardCharsets.UTF_8)) + 1); // CR | LF mid-event
        cuts.add(indexOf(bytes, "П".getBytes(StandardCharsets.UTF_8)) + 1);              // inside a 2-byte char
        cuts.add(indexOf(bytes, "🎉".getBytes(StandardCharsets.UTF_8)) + 2);             // inside a 4-byte char
        cuts.add(indexOf(bytes, "\r\ndata: \"delta\"".getBytes(StandardCharsets.UTF_8)) + 4); // inside "data:"
        cuts.add(indexOf(bytes, "}]}\r\r".getBytes(StandardCharsets.UTF_8)) + 4);        // between two bare CRs
        for (int i = 13; i < bytes.length; i += 37) {
            cuts.add(i);
        }
        List<byte[]> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            if (cut > from && cut < bytes.length) {
                chunks.add(java.util.Arrays.copyOfRange(bytes, from, cut));
                from = cut;
            }
        }
        chunks.add(java.util.Arrays.copyOfRange(bytes, from, bytes.length));
        return chunks;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }

    private static List<String> messages(JsonNode body) {
        List<String> out = new ArrayList<>();
        body.path("messages").forEach(m -> out.add(m.path("role").asText() + ": " + m.path("content").asText()));
        return out;
    }

    private double cancelledWhileStreaming() throws Exception {
        String metrics = demo.get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^upstream_cancelled_total\\{stage=\"streaming\",?} ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(m.find()).as("upstream_cancelled_total{stage=\"streaming\"} in /metrics").isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** {@code upstream}, listing exactly {@code ids} on GET /models (call before a proxy starts in front of it). */
    private static FakeUpstream listing(FakeUpstream upstream, String... ids) {
        upstream.listModels(List.of(ids));
        return upstream;
    }

    private static WebDriver openChat(Browser browser, ProxyUnderTest proxy) {
        WebDriver driver = browser.driver();
        driver.get(proxy.baseUrl() + "/ui");
        awaitModels(driver);
        return driver;
    }

    private static void awaitModels(WebDriver driver) {
        await().atMost(DEADLINE).until(() -> "true".equals(driver.findElement(By.id("model")).getAttribute("data-loaded")));
    }

    private static void send(WebDriver driver, String text) {
        WebElement prompt = driver.findElement(By.id("prompt"));
        prompt.clear();
        prompt.sendKeys(text);
        prompt.sendKeys(Keys.ENTER);
    }

    private static WebElement lastAssistant(WebDriver driver) {
        List<WebElement> all = driver.findElements(By.cssSelector(".msg.assistant"));
        assertThat(all).isNotEmpty();
        return all.get(all.size() - 1);
    }

    /** Waits until there are {@code count} assistant messages and the last one is in {@code state}. */
    private static void awaitState(WebDriver driver, int count, String state) {
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            List<WebElement> all = driver.findElements(By.cssSelector(".msg.assistant"));
            assertThat(all).hasSize(count);
            assertThat(all.get(count - 1).getAttribute("data-state")).isEqualTo(state);
        });
    }

    private static String optionText(WebDriver driver, String id) {
        driver.findElement(By.id("model-filter")).clear();
        js(driver, "document.getElementById('model-filter').dispatchEvent(new Event('input'))");
        return driver.findElement(By.cssSelector("#model option[value='" + id + "']")).getAttribute("textContent");
    }

    private static void assertNoHorizontalScroll(WebDriver driver) {
        Map<?, ?> sizes = (Map<?, ?>) js(driver, "return {doc: document.documentElement.scrollWidth,"
                + " body: document.body.scrollWidth, inner: window.innerWidth}");
        long inner = ((Number) sizes.get("inner")).longValue();
        assertThat(((Number) sizes.get("doc")).longValue()).as("document scrollWidth %s", sizes).isLessThanOrEqualTo(inner);
        assertThat(((Number) sizes.get("body")).longValue()).as("body scrollWidth %s", sizes).isLessThanOrEqualTo(inner);
    }

    private static Object js(WebDriver driver, String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object list) {
        return (List<String>) list;
    }

    /** No SEVERE console entry, except the browser's own network line for a status the test provoked on purpose. */
    private static void assertNoSevereConsole(List<LogEntry> entries, String... expectedNetworkErrors) {
        assertThat(entries).noneSatisfy(entry -> {
            assertThat(entry.getLevel().getName()).isEqualTo("SEVERE");
            for (String expected : expectedNetworkErrors) {
                assertThat(entry.getMessage()).doesNotContain(expected);
            }
        });
    }
}
