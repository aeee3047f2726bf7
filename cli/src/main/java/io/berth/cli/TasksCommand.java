package io.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code berth tasks}: the tasks the orchestrator remembers, newest first. */
@Command(name = "tasks", mixinStandardHelpOptions = true,
        description = "List the tasks the orchestrator remembers, newest first, with their services' states.")
final class TasksCommand implements Callable<Integer> {
    @Mixin
    ApiClient.Options api;

    @Option(names = "--state", description = "Only tasks in this state: placing, starting, ready, failed, stopping, "
            + "released, ended.")
    String state;

    @Option(names = "--worker", description = "Only tasks on this worker.")
    String worker;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--offset", defaultValue = "0", description = "Skip this many (for the next page).")
    int offset;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        return Views.run(spec, () -> {
            List<String> query = new ArrayList<>();
            query.add("limit=" + limit);
            query.add("offset=" + offset);
            if (state != null) {
                query.add("state=" + ApiClient.encode(state));
            }
            if (worker != null) {
                query.add("worker=" + ApiClient.encode(worker));
            }
            JsonNode body = api.client().get("/api/v1/tasks?" + String.join("&", query));
            if (api.json) {
                out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body));
                return ExitCodes.OK;
            }
            Table table = new Table("TASK", "STATE", "WORKER", "SERVICES", "UPDATED", "FAILURE");
            for (JsonNode t : body.path("items")) {
                List<String> services = new ArrayList<>();
                t.path("services").forEach(s -> services.add(s.path("name").asText() + ":" + s.path("state").asText()));
                table.row(t.path("id").asText(), t.path("state").asText(), t.path("worker").asText(null),
                        String.join(" ", services), Views.ago(t.path("updated_at").asText(null)),
                        Views.shorten(t.path("failure").asText(null), 60));
            }
            table.print(out);
            int total = body.path("total").asInt();
            if (body.has("next_offset")) {
                out.printf("(%d of %d; next page: --offset %d)%n", body.path("items").size(), total,
                        body.path("next_offset").asInt());
            }
            return ExitCodes.OK;
        });
    }
}
