package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code health}: the proxy's {@code /health}, each upstream's reachability, key validity and breaker state when
 * the proxy reports them ({@code upstreams[]}), and whether the proxy takes the client key. Exit 1 when the proxy is
 * unreachable or unhealthy: {@code /health} not 200 with {@code status: ok}, or an upstream unreachable, with an
 * invalid key or an open breaker.
 */
@Command(name = "health", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Check a running proxy: its /health, each upstream's reachability, key and circuit breaker,"
                + " and the client key.")
final class HealthCommand implements Callable<Integer> {
    static final String PATH = "/health";

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final ToolContext context;

    HealthCommand(ToolContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        ProxyClient client = proxy.connect(context.environment());
        ProxyAnswer answer = client.get(PATH);
        JsonNode health = answer.json();
        List<UpstreamHealth> upstreams = UpstreamHealth.from(health);
        List<String> problems = new ArrayList<>();
        if (answer.status() != 200 || !"ok".equals(health.path("status").asText())) {
            problems.add("GET /health answered " + answer.status() + " status " + health.path("status").asText("?"));
        }
        for (UpstreamHealth upstream : upstreams) {
            problems.addAll(upstream.problems());
        }
        // after /health, which needs no key: a refused key ends the run with exit 2
        String clientKey = checkClientKey(client);

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode report = Json.object();
            report.put("url", client.baseUrl().toString());
            report.put("healthy", problems.isEmpty());
            report.put("client_key", clientKey);
            problems.forEach(report.putArray("problems")::add);
            report.set("health", health);
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            out.println("proxy " + client.baseUrl() + ": status " + health.path("status").asText("?")
                    + (health.has("models") ? ", " + health.path("models").asText() + " models" : "")
                    + (health.has("timestamp") ? ", at " + health.path("timestamp").asText() : ""));
            TablePrinter table = new TablePrinter("UPSTREAM", "KIND", "URL", "REACHABLE", "KEY", "MODELS", "BREAKER")
                    .alignRight(5);
            upstreams.forEach(upstream -> table.row(upstream.cells()));
            table.print(out);
            out.println("client key: " + clientKey.replace('_', ' '));
            out.println(problems.isEmpty() ? "healthy" : "UNHEALTHY: " + String.join("; ", problems));
        }
        out.flush();
        return problems.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private static String checkClientKey(ProxyClient client) throws IOException {
        ProxyAnswer models = client.get(ProxyModels.PATH);
        if (!models.ok()) {
            return "unknown (GET /v1/models answered " + models.status() + ")";
        }
        return client.hasKey() ? "accepted" : "not_required";
    }
}
