package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.placement.WorkerCandidate;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.RunningTask;
import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the coordinator needs of the connected agents: send them commands, know what runs on them. */
public interface AgentPort {

    /**
     * Sends a command to the worker's agent, now or when it reconnects.
     *
     * @return fails with {@code CommandRejectedException} when the agent refused it
     */
    Future<Void> send(String worker, OrchestratorCommand.Builder command);

    boolean isConnected(String worker);

    /** What the worker's agent said runs on it (its Hello's inventory); empty when it is not connected. */
    Optional<List<RunningTask>> inventory(String worker);

    /** What each connected agent said runs on it, by worker. */
    Map<String, List<RunningTask>> inventories();

    /** The worker as placement sees it (capacity, active services, draining), while its agent is connected. */
    Optional<WorkerCandidate> candidate(String worker);

    /** The agents of {@code directory}. */
    static AgentPort of(AgentDirectory directory) {
        return new AgentPort() {
            @Override
            public Future<Void> send(String worker, OrchestratorCommand.Builder command) {
                return directory.send(worker, command);
            }

            @Override
            public boolean isConnected(String worker) {
                return directory.isConnected(worker);
            }

            @Override
            public Optional<List<RunningTask>> inventory(String worker) {
                return directory.session(worker).map(s -> s.hello().getInventoryList());
            }

            @Override
            public Optional<WorkerCandidate> candidate(String worker) {
                return directory.candidate(worker);
            }

            @Override
            public Map<String, List<RunningTask>> inventories() {
                Map<String, List<RunningTask>> out = new LinkedHashMap<>();
                for (var w : directory.workers()) {
                    if (w.connected()) {
                        directory.session(w.worker()).ifPresent(s -> out.put(w.worker(),
                                s.hello().getInventoryList()));
                    }
                }
                return out;
            }
        };
    }
}
