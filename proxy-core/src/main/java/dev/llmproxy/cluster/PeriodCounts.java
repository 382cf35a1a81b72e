package dev.llmproxy.cluster;

/**
 * A usage counter's totals across all replicas for the current UTC day and month. Immutable.
 *
 * @param available false when Redis did not answer (the totals are then 0 and mean nothing)
 * @param day       today's total (requests per day, say)
 * @param month     this month's total (tokens against a monthly budget, say)
 */
public record PeriodCounts(boolean available, long day, long month) {

    static final PeriodCounts UNAVAILABLE = new PeriodCounts(false, 0, 0);
}
