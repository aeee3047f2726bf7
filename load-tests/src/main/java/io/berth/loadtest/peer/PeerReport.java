package io.berth.loadtest.peer;

import java.util.List;

/**
 * Redis brought up and torn down by Berth and by podman-compose, in the same run on the same machine
 * (runs interleaved, so both see the same background load). Milliseconds; {@code *Median} over the runs.
 *
 * @param skipped              why the peer run did not happen (then everything else is empty)
 * @param startToReadyRatio    compose start→healthy ÷ Berth start→ready (medians): the headline ratio
 * @param floorRatio           the container floor's start→healthy ÷ Berth start→ready
 * @param teardownRatio        compose down ÷ Berth teardown (medians)
 * @param wholeCommandRatio    the whole compose sequence ÷ the whole {@code berth run} command (cold JVM), if measured
 */
public record PeerReport(String skipped, int runs, String berthService, String composeFile,
                         String healthcheck, List<String> substitutions,
                         List<BerthPeer.BerthRun> berth, List<ComposePeer.ComposeRun> compose,
                         List<ComposePeer.FloorRun> floor, List<Double> berthCliMs,
                         double berthStartToReadyMedian, double berthTeardownMedian,
                         double composeStartToHealthyMedian, double composeDownMedian, double composeTotalMedian,
                         double floorStartToHealthyMedian, double floorTeardownMedian, Double berthCliMedian,
                         double startToReadyRatio, double floorRatio, double teardownRatio,
                         Double wholeCommandRatio, List<String> errors) {

    static PeerReport skipped(String reason) {
        return new PeerReport(reason, 0, null, null, null, List.of(), List.of(), List.of(), List.of(), List.of(),
                0, 0, 0, 0, 0, 0, 0, null, 0, 0, 0, null, List.of());
    }
}
