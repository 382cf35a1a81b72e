package dev.llmproxy.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LuaScriptTest {

    @Test
    void sharedTextIsPutInPlaceOfTheIncludeLine() {
        String script = LuaScript.withIncludes("-- a script\n-- #include prelude.lua\nlocal now = clock(ARGV[1])\n");

        assertThat(script).startsWith("-- a script\n").doesNotContain("-- #include")
                .contains("local function clock(arg)").contains("local function gcra_read(")
                .endsWith("local now = clock(ARGV[1])\n\n");
        // a mention inside a sentence is not an include
        assertThat(LuaScript.withIncludes("-- see '-- #include prelude.lua' in LuaScript\n"))
                .doesNotContain("local function");
    }

    @Test
    void everyScriptLoadsWithItsIncludesResolvedAndItsDigestOverTheWholeText() {
        for (LuaScript script : LuaScript.ALL) {
            assertThat(script.source()).as(script.name()).doesNotContain("\n-- #include ");
            assertThat(script.sha()).as(script.name()).hasSize(40);
        }
        assertThat(LuaScript.REQUEST_ADMIT.source()).contains("local function gcra_read(");
    }

    @Test
    void aMissingIncludeFailsAtLoadNotInRedis() {
        assertThatThrownBy(() -> LuaScript.withIncludes("-- #include nowhere.lua\n"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("nowhere.lua");
    }
}
