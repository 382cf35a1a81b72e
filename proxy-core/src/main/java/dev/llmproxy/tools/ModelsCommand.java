package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code models}: the proxy's model list grouped by upstream, with token limits when the proxy knows them. */
@Command(name = "models", mixinStandardHelpOptions = true, sortOptions = false,
        description = "List the models of a running proxy, grouped by upstream, with their token limits.")
final class ModelsCommand implements Callable<Integer> {

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--json", description = "Print {upstreams: [{name, models: [{id, owned_by, max_input_tokens,"
            + " max_output_tokens, embeddings}]}]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final ToolContext context;

    ModelsCommand(ToolContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        List<ProxyModel> models = ProxyModels.fetch(proxy.connect(context.environment()));
        Map<String, List<ProxyModel>> groups = ProxyModels.byUpstream(models);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode root = Json.object();
            ArrayNode upstreams = root.putArray("upstreams");
            groups.forEach((name, group) -> {
                ObjectNode upstream = upstreams.addObject();
                upstream.put("name", name);
                ArrayNode list = upstream.putArray("models");
                for (ProxyModel model : group) {
                    ObjectNode entry = list.addObject();
                    entry.put("id", model.id());
                    entry.put("owned_by", model.ownedBy());
                    putLimit(entry, "max_input_tokens", model.maxInputTokens());
                    putLimit(entry, "max_output_tokens", model.maxOutputTokens());
                    entry.put("embeddings", model.embeddings());
                }
            });
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } else {
            boolean firstGroup = true;
            for (Map.Entry<String, List<ProxyModel>> group : groups.entrySet()) {
                if (!firstGroup) {
                    out.println();
                }
                firstGroup = false;
                out.println("upstream " + group.getKey() + ": " + group.getValue().size() + " models");
                TablePrinter table = new TablePrinter("ID", "OWNED BY", "INPUT", "OUTPUT", "KIND").alignRight(2, 3);
                for (ProxyModel model : group.getValue()) {
                    table.row(model.id(), model.ownedBy(), HumanUnits.tokens(model.maxInputTokens()),
                            HumanUnits.tokens(model.maxOutputTokens()), model.embeddings() ? "embeddings" : "chat");
                }
                table.print(out);
            }
            if (groups.isEmpty()) {
                out.println("the proxy lists no models");
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static void putLimit(ObjectNode entry, String field, long value) {
        if (value > 0) {
            entry.put(field, value);
        } else {
            entry.putNull(field);
        }
    }
}
