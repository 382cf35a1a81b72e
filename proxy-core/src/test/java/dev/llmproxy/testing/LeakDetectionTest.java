package dev.llmproxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

class LeakDetectionTest {

    @Test
    void byteBufLeaksAreRecordedAtTheParanoidLevel() {
        LeakDetection.assertArmed();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    }

    @Test
    void recordsADeliberatelyLeakedBuffer() {
        String marker = "deliberate leak by LeakDetectionTest " + UUID.randomUUID();
        leakBuffer(marker);

        List<LeakReport> caught = LeakDetection.collect().stream()
                .filter(report -> report.records().contains(marker))
                .toList();
        LeakDetection.drain(report -> report.records().contains(marker));

        assertThat(caught).singleElement().satisfies(report -> {
            assertThat(report.resourceType()).isEqualTo("ByteBuf");
            assertThat(report.records()).contains("Created at:").contains("leakBuffer");
        });
        assertThat(LeakDetection.collect()).noneMatch(report -> report.records().contains(marker));
    }

    @Test
    void failsTheTestClassThatLeaked() {
        String marker = "deliberate leak by LeakDetectionTest.LeakingFixture " + UUID.randomUUID();
        List<TestExecutionResult> classResults = new CopyOnWriteArrayList<>();
        List<TestExecutionResult> methodResults = new CopyOnWriteArrayList<>();
        LeakingFixture.marker = marker;
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request().selectors(selectClass(LeakingFixture.class)).build(),
                    new TestExecutionListener() {
                        @Override
                        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                            id.getSource().ifPresent(source -> {
                                if (source instanceof ClassSource) {
                                    classResults.add(result);
                                } else if (source instanceof MethodSource) {
                                    methodResults.add(result);
                                }
                            });
                        }
                    });
        } finally {
            LeakingFixture.marker = null;
        }

        assertThat(methodResults).singleElement()
                .extracting(TestExecutionResult::getStatus).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        assertThat(classResults).singleElement().satisfies(result -> {
            assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
            assertThat(result.getThrowable()).get(InstanceOfAssertFactories.THROWABLE)
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining(LeakingFixture.class.getName())
                    .hasMessageContaining(marker);
        });
        assertThat(LeakDetection.collect()).noneMatch(report -> report.records().contains(marker));
    }

    /** Allocates in its own frame so that nothing on the caller's stack keeps the buffer reachable. */
    static void leakBuffer(String marker) {
        ByteBuf buffer = ByteBufAllocator.DEFAULT.directBuffer(16);
        buffer.writeInt(42);
        buffer.touch(marker);
    }

    /** Run only by {@link #failsTheTestClassThatLeaked} through a nested launcher; disabled anywhere else. */
    @EnabledIf("launchedByLeakDetectionTest")
    static class LeakingFixture {

        static volatile String marker;

        static boolean launchedByLeakDetectionTest() {
            return marker != null;
        }

        @Test
        void leaks() {
            leakBuffer(marker);
        }
    }
}
