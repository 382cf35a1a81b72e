package dev.llmproxy.openai;

import java.util.Locale;
import java.util.Optional;

/**
 * The Copilot plan of the account whose token the proxy spends. GitHub Models' free-usage limits depend on it
 * (see {@link PlanLimits}). Immutable.
 */
public enum GitHubModelsPlan {
    FREE,
    PRO,
    BUSINESS,
    ENTERPRISE;

    /** How the plan is written in config and JSON: {@code free}, {@code pro}, {@code business}, {@code enterprise}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The plan with this wire name ignoring case; empty for anything else, including null. */
    public static Optional<GitHubModelsPlan> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        for (GitHubModelsPlan plan : values()) {
            if (plan.name().equalsIgnoreCase(value)) {
                return Optional.of(plan);
            }
        }
        return Optional.empty();
    }
}
