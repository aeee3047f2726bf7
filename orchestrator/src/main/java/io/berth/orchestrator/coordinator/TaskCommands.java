package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.protocol.NetworkRequest;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.ServiceSpec;
import io.berth.protocol.StartServices;
import io.berth.protocol.StopServices;

/** Builds the gRPC commands the coordinator sends to agents from the state machine's effects. Pure. */
final class TaskCommands {
    private TaskCommands() {}

    /** StartServices for the task: its services with the configs the agent reads, its inputs and network. */
    static OrchestratorCommand.Builder start(String taskId, Effect.SendStart start) {
        TaskRequest request = start.request();
        StartServices.Builder body = StartServices.newBuilder()
                .setTaskId(taskId)
                .setGeneration(start.generation())
                .putAllInputs(request.inputs());
        if (request.network() != null) {
            NetworkRequest.Builder network = NetworkRequest.newBuilder();
            if (request.network().mode() != null) {
                network.setMode(request.network().mode());
            }
            if (request.network().path() != null) {
                network.setJoinPath(request.network().path());
            }
            body.setNetwork(network);
        }
        for (TaskRequest.RequestedService service : request.services()) {
            body.addServices(ServiceSpec.newBuilder().setName(service.name()).setConfigJson(service.configJson()));
        }
        return OrchestratorCommand.newBuilder().setStart(body);
    }

    /** StopServices for one generation of the task's services. */
    static OrchestratorCommand.Builder stop(String taskId, long generation, String reason) {
        return OrchestratorCommand.newBuilder().setStop(StopServices.newBuilder()
                .setTaskId(taskId)
                .setGeneration(generation)
                .setReason(reason));
    }
}
