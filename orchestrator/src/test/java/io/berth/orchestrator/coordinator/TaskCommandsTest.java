package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.payload.NetworkSpec;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskRequest.RequestedService;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskCommandsTest {

    @Test
    void start_carriesEveryServiceInOrder_theInputsAndTheNetworkToJoin() {
        var request = new TaskRequest("t1", "w1", new NetworkSpec("namespace", "/run/netns/ci-7"),
                List.of(new RequestedService("pg", "{\"image\":\"postgres\"}"), new RequestedService("redis", "{}")),
                Map.of("seed", "/work/seed"));

        var start = TaskCommands.start("t1", new Effect.SendStart("w1", 3, request)).build().getStart();

        assertThat(start.getTaskId()).isEqualTo("t1");
        assertThat(start.getGeneration()).isEqualTo(3);
        assertThat(start.getServicesList()).extracting(s -> s.getName() + "=" + s.getConfigJson())
                .containsExactly("pg={\"image\":\"postgres\"}", "redis={}");
        assertThat(start.getInputsMap()).containsExactly(Map.entry("seed", "/work/seed"));
        assertThat(start.getNetwork().getMode()).isEqualTo("namespace");
        assertThat(start.getNetwork().getJoinPath()).isEqualTo("/run/netns/ci-7");
    }

    @Test
    void start_withoutANetwork_leavesItToTheWorkersDefault() {
        var request = new TaskRequest("t1", null, null, List.of(new RequestedService("pg", "{}")), Map.of());

        var start = TaskCommands.start("t1", new Effect.SendStart("w1", 1, request)).build().getStart();

        assertThat(start.hasNetwork()).isFalse();
    }

    @Test
    void stop_namesTheTaskTheGenerationAndWhy() {
        var stop = TaskCommands.stop("t1", 2, "task ended: succeeded").build().getStop();

        assertThat(stop.getTaskId()).isEqualTo("t1");
        assertThat(stop.getGeneration()).isEqualTo(2);
        assertThat(stop.getReason()).isEqualTo("task ended: succeeded");
    }
}
