package dev.llmproxy.ui;

import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The UI's files as HTTP sees them: the redirect, the pages with their security headers, ETag revalidation, the
 * WebJars served locally and cached for good, no listing, no way out of the two roots, and no UI in strict mode.
 */
class StaticUiIT {
    private static ProxyUnderTest proxy;
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        proxy = ProxyUnderTest.start(Map.of());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void theRootRedirectsToTheChat() throws Exception {
        HttpResponse<byte[]> r = get("/");
        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(r.headers().firstValue("location")).hasValue("/ui");
    }

    @Test
    void pagesCarryTheirSecurityHeadersAndRevalidateByETag() throws Exception {
        for (String page : List.of("/ui", "/ui/", "/monitor")) {
            HttpResponse<byte[]> r = get(page);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
            assertThat(r.headers().firstValue("content-security-policy").orElseThrow())
                    .contains("default-src 'self'").contains("script-src 'self'").contains("frame-ancestors 'none'");
            assertThat(r.headers().firstValue("x-content-type-options")).hasValue("nosniff");
            assertThat(r.headers().firstValue("cache-control")).hasValue("no-cache");
            String etag = r.headers().firstValue("etag").orElseThrow();
            HttpResponse<byte[]> again = get(page, "If-None-Match", etag);
            assertThat(again.statusCode()).isEqualTo(304);
            assertThat(again.body()).isEmpty();
            assertThat(get(page, "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void webJarsAreServedLocallyAndCachedForGood() throws Exception {
        for (String path : List.of("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js",
                "/webjars/uplot/1.6.30/dist/uPlot.min.css", "/webjars/marked/15.0.12/marked.min.js",
                "/webjars/dompurify/3.2.6/dist/purify.min.js", "/static/theme.css")) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body().length).as(path).isGreaterThan(100);
            assertThat(r.headers().firstValue("x-content-type-options")).hasValue("nosniff");
            assertThat(r.headers().firstValue("content-type").orElseThrow())
                    .startsWith(path.endsWith(".css") ? "text/css" : "text/javascript");
            if (path.startsWith("/webjars/")) {
                assertThat(r.headers().firstValue("cache-control").orElseThrow()).contains("immutable");
            }
        }
    }

    @Test
    void nothingOutsideTheRootsAndNoListing() throws Exception {
        for (String path : List.of("/static/", "/static/../../logback.xml", "/static/%2e%2e/%2e%2e/logback.xml",
                "/static/..%2f..%2flogback.xml", "/webjars/uplot/1.6.30/dist", "/webjars/uplot/1.6.30/dist/",
                "/static/nothing.js", "/static/.hidden.css", "/webjars/../../dev/llmproxy/ui/static/ui.html",
                "/static/dev/llmproxy/ProxyServer.class", "/webjars/uplot/1.6.30//dist/uPlot.min.css",
                "/static/ui.html%00.js", "/static/a\\b.css")) {
            HttpResponse<byte[]> r = get(path.replace("\\", "%5C"));
            assertThat(r.statusCode()).as(path).isIn(400, 404);
        }
        assertThat(get("/logback.xml").statusCode()).isEqualTo(404);
    }

    @Test
    void strictModeServesNoUi() throws Exception {
        try (ProxyUnderTest strict = ProxyUnderTest.start(Map.of("STRICT_OPENAI_API", "true"))) {
            for (String path : List.of("/", "/ui", "/monitor", "/static/theme.css",
                    "/webjars/marked/15.0.12/marked.min.js")) {
                HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(strict.baseUrl() + path))
                        .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as(path).isEqualTo(404);
            }
        }
    }

    @Test
    void theChatPageLoadsInARealBrowserWithoutConsoleErrors() {
        try (Browser browser = Browser.open(1280, 800)) {
            browser.driver().get(proxy.baseUrl() + "/");
            assertThat(browser.driver().getCurrentUrl()).endsWith("/ui");
            assertThat(browser.driver().getTitle()).contains("llm-proxy");
            assertThat(browser.console()).noneSatisfy(entry ->
                    assertThat(entry.getLevel().getName()).isEqualTo("SEVERE"));
        }
    }
}
