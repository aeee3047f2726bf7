package io.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.json.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code berth task ID}: one task in detail; {@code --release} force-releases it. */
@Command(name = "task", mixinStandardHelpOptions = true,
        description = "Show one task: its state, each service (state, probe attempts, timings, .svc variables, how "
                + "it was stopped) and its timeline. With --release, release its services now (SIGTERM, grace "
                + "period, SIGKILL) as if the task had ended.")
final class TaskCommand implements Callable<Integer> {
    @Mixin
    ApiClient.Options api;

    @Parameters(paramLabel = "ID", description = "The task id.")
    String id;

    @Option(names = "--release", description = "Force-release the task's services (needs --token).")
    boolean release;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        return Views.run(spec, () -> {
            String path = "/api/v1/tasks/" + ApiClient.encode(id);
            JsonNode t = release ? api.client().delete(path) : api.client().get(path);
            if (api.json) {
                out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(t));
                return ExitCodes.OK;
            }
            if (release) {
                out.println("releasing the services of task " + id + " (it was " + t.path("state").asText() + ")");
            }
            out.printf("task %s: %s%s%n", t.path("id").asText(), t.path("state").asText(),
                    t.has("worker") ? " on " + t.path("worker").asText() : "");
            if (t.has("failure")) {
                out.println("  failure: " + t.path("failure").asText());
            }
            if (t.has("time_to_ready_ms")) {
                out.println("  ready after " + t.path("time_to_ready_ms").asLong() + " ms");
            }
            if (t.has("network")) {
                out.println("  network: " + t.path("network").path("mode").asText("")
                        + (t.path("network").has("path") ? " " + t.path("network").path("path").asText() : ""));
            }
            out.println();
            Table services = new Table("SERVICE", "STATE", "PROBES", "ADDRESS", "LAG", "STOPPED");
            for (JsonNode s : t.path("services")) {
                JsonNode stopped = s.path("stopped");
                services.row(s.path("name").asText(), s.path("state").asText(), s.path("probe_attempts").asInt(),
                        s.path("svc").path("address").asText(null),
                        s.has("readiness_lag_ms") ? s.path("readiness_lag_ms").asLong() + " ms" : null,
                        stopped.isMissingNode() ? null : stopped.path("signal").asText() + " in "
                                + stopped.path("duration_ms").asLong() + " ms");
            }
            services.print(out);
            for (JsonNode s : t.path("services")) {
                if (s.has("failure_reason")) {
                    out.println();
                    out.println(s.path("name").asText() + " failed: " + s.path("failure_reason").asText());
                    s.path("log_tail").forEach(line -> out.println("  | " + line.asText()));
                    out.println("  full log: berth logs " + id + " " + s.path("name").asText());
                }
            }
            out.println();
            Table timeline = new Table("TIME", "EVENT", "SERVICE", "DETAIL");
            for (JsonNode e : t.path("timeline")) {
                timeline.row(e.path("at").asText(), e.path("event").asText().replaceFirst("^berth\\.", "")
                                .replaceFirst("\\.v1$", ""),
                        e.path("service").asText(null), Views.shorten(e.path("detail").asText(null), 80));
            }
            timeline.print(out);
            return ExitCodes.OK;
        });
    }
}
