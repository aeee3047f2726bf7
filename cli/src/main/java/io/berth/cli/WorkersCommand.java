package io.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code berth workers}: the workers the orchestrator knows; drain one or resume it. */
@Command(name = "workers", mixinStandardHelpOptions = true,
        description = "List the workers the orchestrator knows (connected, or within their grace period), or drain "
                + "one: no new tasks are placed on a draining worker; its running tasks keep their services.")
final class WorkersCommand implements Callable<Integer> {
    @Mixin
    ApiClient.Options api;

    @Option(names = "--drain", paramLabel = "WORKER", description = "Stop placing new tasks on WORKER (needs --token).")
    String drain;

    @Option(names = "--resume", paramLabel = "WORKER", description = "Place tasks on WORKER again (needs --token).")
    String resume;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        return Views.run(spec, () -> {
            ApiClient client = api.client();
            if (drain != null || resume != null) {
                String worker = drain != null ? drain : resume;
                JsonNode w = client.post("/api/v1/workers/" + ApiClient.encode(worker) + "/drain",
                        "{\"draining\": " + (drain != null) + "}");
                if (api.json) {
                    out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(w));
                } else {
                    out.println("worker " + worker + (w.path("draining").asBoolean() ? " is draining: no new tasks"
                            : " takes new tasks again"));
                }
                return ExitCodes.OK;
            }
            JsonNode body = client.get("/api/v1/workers");
            if (api.json) {
                out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body));
                return ExitCodes.OK;
            }
            Table table = new Table("WORKER", "STATUS", "SERVICES", "TASKS", "RUNTIMES", "NETWORK", "LAST SEEN");
            for (JsonNode w : body.path("items")) {
                String status = !w.path("connected").asBoolean() ? "disconnected"
                        : w.path("draining").asBoolean() ? "draining" : "ready";
                int capacity = w.path("capacity").asInt();
                table.row(w.path("name").asText(), status,
                        w.path("active_services").asInt() + "/" + (capacity == 0 ? "∞" : capacity),
                        w.path("active_tasks").asInt(), Views.join(w.path("runtimes")),
                        Views.join(w.path("network_modes")), Views.ago(w.path("last_heartbeat").asText(null)));
            }
            table.print(out);
            return ExitCodes.OK;
        });
    }
}
