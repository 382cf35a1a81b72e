package dev.llmproxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RedisConfigTest {

    private static RedisConfig fromEnv(String... keyValues) {
        return ConfigLoader.load(Map.of(), map(keyValues), Map.of()).redis();
    }

    private static ConfigException problemsFromEnv(String... keyValues) {
        return catchThrowableOfType(ConfigException.class, () -> fromEnv(keyValues));
    }

    private static Map<String, String> map(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @Test
    void withoutARedisUrlLimitsStayInProcess() {
        RedisConfig redis = fromEnv();

        assertThat(redis).isEqualTo(new RedisConfig(Optional.empty(), "llm-proxy:", Duration.ofMillis(200),
                RedisFailureMode.LOCAL));
        assertThat(redis.enabled()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis://localhost", "redis://10.0.0.5:6380/2", "rediss://:pw@cache.internal:6380",
            "redis://user:pw@127.0.0.1:6379/0", "redis://[::1]:6379", "redis-sentinel://s1:26379,s2:26379/0#mymaster",
            "rediss-sentinel://s1:26379#primary"})
    void acceptsWhatLettuceConnectsTo(String url) {
        RedisConfig redis = fromEnv("REDIS_URL", url, "REDIS_FAILURE_MODE", "Closed", "REDIS_TIMEOUT_MS", "50",
                "REDIS_KEY_PREFIX", "team-a:");

        assertThat(redis.url()).hasValue(url);
        assertThat(redis.enabled()).isTrue();
        assertThat(redis.failureMode()).isEqualTo(RedisFailureMode.CLOSED);
        assertThat(redis.commandTimeout()).isEqualTo(Duration.ofMillis(50));
        assertThat(redis.keyPrefix()).isEqualTo("team-a:");
        assertThat(redis.redisUri()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://cache:6379", "localhost:6379", "redis://", "redis-sentinel://s1:26379",
            "redis-socket:///tmp/redis.sock", "redis://host:notaport"})
    void refusesAUrlItCannotConnectWith(String url) {
        ConfigException e = problemsFromEnv("REDIS_URL", url);

        assertThat(e.problems()).singleElement().asString().startsWith("REDIS_URL: ")
                .contains("(expected: a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL");
    }

    @Test
    void neverPrintsThePasswordOfARedisUrl() {
        RedisConfig good = fromEnv("REDIS_URL", "rediss://:hunter2@cache:6380");
        ConfigException bad = problemsFromEnv("REDIS_URL", "redis://:hunter2@");

        assertThat(good.toString()).doesNotContain("hunter2").contains("url=(set)");
        assertThat(bad.getMessage()).doesNotContain("hunter2").contains("REDIS_URL: redis://(hidden)@");
    }

    @Test
    void reportsEveryBadRedisSettingAtOnce() {
        ConfigException e = problemsFromEnv("REDIS_FAILURE_MODE", "open", "REDIS_TIMEOUT_MS", "5",
                "REDIS_KEY_PREFIX", "two words");

        assertThat(e.problems()).hasSize(3)
                .anyMatch(p -> p.equals("REDIS_FAILURE_MODE: open (expected: one of local, closed)"))
                .anyMatch(p -> p.startsWith("REDIS_TIMEOUT_MS: 5 (expected: milliseconds, an integer from 10 to"))
                .anyMatch(p -> p.startsWith("REDIS_KEY_PREFIX: two words (expected: 1 to 64 visible ASCII"));
        assertThat(problemsFromEnv("REDIS_KEY_PREFIX", "p".repeat(65)).problems()).hasSize(1);
    }
}
