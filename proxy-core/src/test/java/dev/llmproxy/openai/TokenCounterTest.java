package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class TokenCounterTest {
    private static final TokenCounter counter = new TokenCounter();

    /** The encodings straight from jtokkit, so expectations do not go through the class under test. */
    private static final EncodingRegistry registry = Encodings.newDefaultEncodingRegistry();
    private static final Encoding O200K = registry.getEncoding(EncodingType.O200K_BASE);
    private static final Encoding CL100K = registry.getEncoding(EncodingType.CL100K_BASE);

    /** The OpenAI cookbook's example conversation ("How to count tokens with tiktoken", section 6). */
    private static final String COOKBOOK_MESSAGES = """
            [
              {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
              {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
              {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
              {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
              {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
              {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
            ]""";

    /** The cookbook's tool example (section 7), which the API counted as 101 prompt tokens on gpt-4o, 105 on gpt-4. */
    private static final String COOKBOOK_TOOLS = """
            [{"type": "function", "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {"type": "object", "properties": {
                    "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                    "unit": {"type": "string", "description": "The unit of temperature to return",
                             "enum": ["celsius", "fahrenheit"]}},
                  "required": ["location"]}}}]""";
    private static final String COOKBOOK_TOOL_MESSAGES = """
            [{"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
             {"role": "user", "content": "What's the weather like in San Francisco?"}]""";

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void countsKnownStringsWithEachEncoding() {
        // tiktoken's published ids: cl100k "hello world" = [15339, 1917], o200k = [24912, 2375]
        assertThat(CL100K.encodeOrdinary("hello world").size()).isEqualTo(2);
        assertThat(counter.count("hello world", "openai/gpt-4o")).isEqualTo(2);
        assertThat(counter.count("hello world", "meta/llama-3.3-70b-instruct")).isEqualTo(2);
        assertThat(counter.count("tiktoken is great!", "openai/gpt-4.1")).isEqualTo(6);

        String mixed = "Grüße aus München – 世界 🚀";
        assertThat(counter.count(mixed, "openai/gpt-4o-mini")).isEqualTo(O200K.countTokensOrdinary(mixed)).isEqualTo(9);
        assertThat(counter.count(mixed, "mistral-ai/mistral-nemo")).isEqualTo(CL100K.countTokensOrdinary(mixed))
                .isEqualTo(13);
        assertThat(counter.count("", "openai/gpt-4o")).isZero();
        assertThat(counter.count(null, "openai/gpt-4o")).isZero();
    }

    @Test
    void specialTokenTextCountsAsOrdinaryTextInsteadOfThrowing() {
        assertThat(counter.count("<|endoftext|>", "openai/gpt-4o"))
                .isEqualTo(O200K.countTokensOrdinary("<|endoftext|>")).isEqualTo(7);
    }

    @Test
    void chatOverheadMatchesWhatTheApiCountedForTheCookbookExample() {
        // the cookbook prints the API's own prompt_tokens for this conversation: 129 on gpt-4, 124 on gpt-4o
        assertThat(counter.countChat(json(COOKBOOK_MESSAGES), "openai/gpt-4o")).isEqualTo(124);
        assertThat(counter.countChat(json(COOKBOOK_MESSAGES), "gpt-4o-mini")).isEqualTo(124);
        assertThat(counter.countChat(json(COOKBOOK_MESSAGES), "gpt-4")).isEqualTo(129);
    }

    @Test
    void chatOverheadIsThreePerMessageOnePerNameAndThreeForTheReply() {
        JsonNode messages = json("""
                [{"role":"system","content":"You are a helpful assistant."},
                 {"role":"user","name":"example_user","content":"What is the capital of France?"}]""");
        int expected = 3 + O200K.countTokensOrdinary("system") + O200K.countTokensOrdinary("You are a helpful assistant.")
                + 3 + O200K.countTokensOrdinary("user") + O200K.countTokensOrdinary("example_user") + 1
                + O200K.countTokensOrdinary("What is the capital of France?")
                + 3;
        assertThat(expected).isEqualTo(3 + 1 + 6 + 3 + 1 + 2 + 1 + 7 + 3);
        assertThat(counter.countChat(messages, "openai/gpt-4o")).isEqualTo(expected);
    }

    @Test
    void contentPartsCountTheirTextAndIgnoreImages() {
        JsonNode parts = json("""
                [{"role":"user","content":[
                   {"type":"text","text":"What is the capital of France?"},
                   {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
                   {"type":"text","text":"Paris."}]}]""");
        JsonNode plain = json("[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]");
        int paris = CL100K.countTokensOrdinary("Paris.");
        assertThat(counter.countChat(parts, "meta/llama-3.3-70b-instruct"))
                .isEqualTo(counter.countChat(plain, "meta/llama-3.3-70b-instruct") + paris);
    }

    @Test
    void toolCallsCountTheirNamesAndArguments() {
        JsonNode messages = json("""
                [{"role":"assistant","content":null,"tool_calls":[
                   {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}]""");
        int expected = 3 + O200K.countTokensOrdinary("assistant") + O200K.countTokensOrdinary("get_weather")
                + O200K.countTokensOrdinary("{\"city\":\"Paris\"}") + 3;
        assertThat(counter.countChat(messages, "openai/gpt-4o")).isEqualTo(expected);
    }

    @Test
    void toolsAddWhatTheApiCountedForTheCookbookExample() {
        JsonNode messages = json(COOKBOOK_TOOL_MESSAGES);
        JsonNode tools = json(COOKBOOK_TOOLS);
        assertThat(counter.countChat(messages, "gpt-4o") + counter.countTools(tools, "gpt-4o")).isEqualTo(101);
        assertThat(counter.countChat(messages, "gpt-4o-mini") + counter.countTools(tools, "gpt-4o-mini"))
                .isEqualTo(101);
        assertThat(counter.countChat(messages, "gpt-4") + counter.countTools(tools, "gpt-4")).isEqualTo(105);
    }

    @Test
    void toolTokensFollowThePublishedRule() {
        // one function, no parameters: 7 + "f:Does f" + 12 (the description's final period dropped)
        assertThat(counter.countTools(json("""
                [{"type":"function","function":{"name":"f","description":"Does f."}}]"""), "gpt-4o"))
                .isEqualTo(7 + O200K.countTokensOrdinary("f:Does f") + 12);
        // each property: 3 + "key:type:description", 3 once for the list; on cl100k a function costs 10
        assertThat(counter.countTools(json("""
                [{"type":"function","function":{"name":"f","description":"","parameters":{"type":"object",
                  "properties":{"a":{"type":"string","description":"An a."},"b":{"type":"integer"}}}}}]"""),
                "gpt-4"))
                .isEqualTo(10 + CL100K.countTokensOrdinary("f:") + 3 + 3 + CL100K.countTokensOrdinary("a:string:An a")
                        + 3 + CL100K.countTokensOrdinary("b:integer:") + 12);
        assertThat(counter.countTools(json("[]"), "gpt-4o")).isZero();
        assertThat(counter.countTools(null, "gpt-4o")).isZero();
    }

    @Test
    void nestedToolParametersCountByTheSameRuleLevelByLevel() {
        JsonNode flat = json("""
                [{"type":"function","function":{"name":"f","parameters":{"type":"object",
                  "properties":{"o":{"type":"object"}}}}}]""");
        JsonNode nested = json("""
                [{"type":"function","function":{"name":"f","parameters":{"type":"object",
                  "properties":{"o":{"type":"object","properties":{"x":{"type":"number","description":"X"}}}}}}}]""");
        assertThat(counter.countTools(nested, "gpt-4o") - counter.countTools(flat, "gpt-4o"))
                .isEqualTo(3 + 3 + O200K.countTokensOrdinary("x:number:X"));
    }

    @Test
    void shapesThatAreNotMessagesCountWithoutThrowing() {
        assertThat(counter.countChat(null, "openai/gpt-4o")).isZero();
        assertThat(counter.countChat(json("\"hi\""), "openai/gpt-4o")).isZero();
        assertThat(counter.countChat(json("[]"), "openai/gpt-4o")).isEqualTo(3);
        assertThat(counter.countChat(json("[42, {\"role\":7,\"content\":{\"x\":1}}]"), "openai/gpt-4o"))
                .isEqualTo(3 + 3 + 3);
    }

    @Test
    void embeddingsInputCountsStringsAndTokenArrays() {
        String model = "openai/text-embedding-3-small";
        assertThat(counter.countInput(json("\"hello world\""), model)).isEqualTo(2);
        assertThat(counter.countInput(json("[\"hello world\",\"tiktoken is great!\"]"), model)).isEqualTo(8);
        assertThat(counter.countInput(json("[15339, 1917]"), model)).isEqualTo(2);
        assertThat(counter.countInput(json("[[15339, 1917], [83]]"), model)).isEqualTo(3);
        assertThat(counter.countInput(null, model)).isZero();
        assertThat(counter.countPrompt(json("[{\"role\":\"user\",\"content\":\"hello world\"}]"), model))
                .isEqualTo(3 + 1 + 2 + 3);
        assertThat(counter.countPrompt(json("[\"hello world\"]"), model)).isEqualTo(2);
    }

    @Test
    void choosesO200kForCurrentOpenAiFamiliesAndCl100kOtherwise() {
        for (String model : new String[]{"openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-4.1-nano",
                "openai/gpt-5", "openai/gpt-5-chat", "openai/o1", "openai/o1-mini", "openai/o3", "openai/o3-mini",
                "openai/o4-mini", "gpt-4o-mini", "OpenAI/GPT-4o", "o3"}) {
            assertThat(counter.tokenizer(model)).as(model).isEqualTo("o200k_base");
            assertThat(counter.exact(model)).as(model).isTrue();
        }
        for (String model : new String[]{"openai/text-embedding-3-large", "openai/gpt-4", "gpt-3.5-turbo",
                "openai/gpt-4-turbo"}) {
            assertThat(counter.tokenizer(model)).as(model).isEqualTo("cl100k_base");
            assertThat(counter.exact(model)).as(model).isTrue();
        }
        for (String model : new String[]{"meta/llama-3.3-70b-instruct", "mistral-ai/mistral-nemo", "microsoft/phi-4",
                "deepseek/deepseek-r1", "xai/grok-3", "cohere/cohere-command-a", "my-own/gpt-4o", "o10", "", null}) {
            assertThat(counter.tokenizer(model)).as(model).isEqualTo("cl100k_base");
            assertThat(counter.exact(model)).as(model).isFalse();
        }
    }

    @Test
    void anUnknownOpenAiFamilyIsAnO200kEstimate() {
        assertThat(counter.tokenizer("openai/gpt-9-turbo")).isEqualTo("o200k_base");
        assertThat(counter.exact("openai/gpt-9-turbo")).isFalse();
    }

    @Test
    void everyCatalogModelHasATokenizerAndOnlyOpenAiOnesAreExact() {
        for (CatalogModel model : ModelCatalog.bundled().models()) {
            assertThat(counter.tokenizer(model.id())).isIn("o200k_base", "cl100k_base");
            assertThat(counter.exact(model.id())).as(model.id()).isEqualTo(model.id().startsWith("openai/"));
        }
    }
    @Test
    void aLongTextCountedPieceByPieceGivesTheSameCountAsOneWhole() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 5 * TokenCounter.PIECE_CHARS; i++) {
            text.append("Ünïcode word").append(i).append(i % 7 == 0 ? ",\n\t" : " ").append("😀 ");
        }
        Encoding o200k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
        assertThat(counter.count(text.toString(), "gpt-4o")).isEqualTo(o200k.countTokensOrdinary(text.toString()));
    }

    @Test
    void aHugeSingleWordIsCountedWithoutRunningOutOfMemory() {
        // as one piece this made the tokenizer run for seconds at 1 MB and out of memory at 2 MB
        String word = "a".repeat(3 * 1024 * 1024);
        int tokens = counter.count(word, "gpt-4o");
        assertThat(tokens).isBetween(word.length() / 64, word.length());
    }
}
