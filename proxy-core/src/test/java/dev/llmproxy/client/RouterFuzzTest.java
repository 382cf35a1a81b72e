package dev.llmproxy.client;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes request-target parsing ({@link Router#path}, {@link Router#query}, {@link Router#match}) with any request
 * target, read as ISO-8859-1 the way Netty decodes a request line: no exception; the path has no query or fragment
 * and the query no fragment; path and query put back together give the origin-form target; a template route's
 * argument is the non-empty tail of the path. Both routers (strict OpenAI API and the full one) see every input.
 */
class RouterFuzzTest {
    private static final Router FULL = new Router(false, "/metrics", true);
    private static final Router STRICT = new Router(true, null, false);

    @FuzzTest(maxDuration = "10m")
    void splitsAnyTargetIntoPathAndQuery(byte[] input) {
        String uri = new String(input, StandardCharsets.ISO_8859_1);

        String path = Router.path(uri);
        String query = Router.query(uri);

        assertThat(path).doesNotContain("?", "#");
        assertThat(query).doesNotContain("#");
        assertThat(query.isEmpty() || query.startsWith("?")).isTrue();
        assertThat(uri).contains(path);
        int fragment = uri.indexOf('#');
        if (uri.startsWith("/") && (fragment < 0 || fragment > uri.indexOf('?') && uri.indexOf('?') >= 0)) {
            String target = fragment < 0 ? uri : uri.substring(0, fragment);
            assertThat(path + query).isEqualTo(target);
        }
        for (Router router : new Router[] {FULL, STRICT}) {
            RouteMatch match = router.match(uri);
            if (match.pathArg() != null) {
                assertThat(match.found()).isTrue();
                assertThat(match.pathArg()).isNotEmpty();
                assertThat(path).endsWith(match.pathArg());
            }
            if (match.found() && match.pathArg() == null) {
                String bare = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
                assertThat(router.match(bare).route()).isEqualTo(match.route());
            }
        }
        assertThat(STRICT.match(uri).route()).isNotIn(Route.UI_ASSET, Route.WEBJAR);
    }
}
