package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.gateway.CommandRejectedException;
import io.berth.orchestrator.placement.WorkerCandidate;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.RunningTask;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Agents as the coordinator sees them: records the commands sent, accepts or refuses them, reports inventories. */
final class FakeAgents implements AgentPort {
    record Sent(String worker, OrchestratorCommand command) {}

    final List<Sent> sent = new CopyOnWriteArrayList<>();
    final Set<String> connected = ConcurrentHashMap.newKeySet();
    final Map<String, List<RunningTask>> inventories = new ConcurrentHashMap<>();
    /** When set, every StartServices is refused with this error. */
    volatile String refuseStarts;

    FakeAgents(String... workers) {
        connected.addAll(List.of(workers));
    }

    @Override
    public Future<Void> send(String worker, OrchestratorCommand.Builder command) {
        OrchestratorCommand built = command.build();
        sent.add(new Sent(worker, built));
        if (built.hasStart() && refuseStarts != null) {
            return Future.failedFuture(new CommandRejectedException(worker, "c1", refuseStarts));
        }
        return Future.succeededFuture();
    }

    @Override
    public boolean isConnected(String worker) {
        return connected.contains(worker);
    }

    @Override
    public Optional<List<RunningTask>> inventory(String worker) {
        return Optional.ofNullable(inventories.get(worker));
    }

    /** A connected worker: capacity 10, idle, not draining. */
    @Override
    public Optional<WorkerCandidate> candidate(String worker) {
        return connected.contains(worker) ? Optional.of(new WorkerCandidate(worker, 10, 0, false)) : Optional.empty();
    }

    @Override
    public Map<String, List<RunningTask>> inventories() {
        return Map.copyOf(inventories);
    }

    List<OrchestratorCommand> starts(String taskId) {
        return sent.stream().map(Sent::command).filter(c -> c.hasStart() && c.getStart().getTaskId().equals(taskId))
                .toList();
    }

    List<OrchestratorCommand> stops(String taskId) {
        return sent.stream().map(Sent::command).filter(c -> c.hasStop() && c.getStop().getTaskId().equals(taskId))
                .toList();
    }
}
