package io.berth.loadtest.measure;

import org.HdrHistogram.Histogram;

/** A latency distribution in microseconds (HdrHistogram, 3 significant digits, up to one hour). */
public final class Latency {
    private final Histogram histogram = new Histogram(3_600_000_000L, 3);
    private long negatives;

    /** Records one value; values below zero (clock resolution) are counted and recorded as zero. */
    public void record(long micros) {
        if (micros < 0) {
            negatives++;
            micros = 0;
        }
        histogram.recordValue(Math.min(micros, histogram.getHighestTrackableValue()));
    }

    public long count() {
        return histogram.getTotalCount();
    }

    public Summary summary() {
        if (histogram.getTotalCount() == 0) {
            return new Summary(0, null, null, null, null, null, null, null, 0);
        }
        return new Summary(histogram.getTotalCount(), ms(histogram.getMinValue()),
                ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(90)),
                ms(histogram.getValueAtPercentile(99)), ms(histogram.getValueAtPercentile(99.9)),
                ms(histogram.getMaxValue()), Math.round(histogram.getMean()) / 1000.0, negatives);
    }

    private static Double ms(long micros) {
        return micros / 1000.0;
    }

    /**
     * Percentiles in milliseconds (null when nothing was recorded).
     *
     * @param clampedNegatives values that came out below zero because two clocks of different resolution
     *                         were subtracted (e.g. the agent's millisecond stamps and a microsecond one)
     */
    public record Summary(long count, Double min, Double p50, Double p90, Double p99, Double p999, Double max,
                          Double mean, long clampedNegatives) {}
}
