package io.berth.cli;

import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.config.TaskStep;
import io.berth.events.validation.YamlDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads what a CI platform would send: a task step's {@code params} and {@code services}, with every
 * service's {@code file:} read (relative to the working directory, like a pipeline's paths) and
 * inlined as {@code config:}, so the event carries everything the worker needs.
 */
final class TaskFiles {
    private static final Pattern TASK_KEYS = Pattern.compile("(?m)^(services|task)\\s*:");

    /**
     * The task's params (still holding {@code ((.svc:...))} references) and its resolved services.
     *
     * @param failOnServiceExit the step's {@code on_service_exit: fail}: a service exiting while CMD runs fails it
     */
    record LoadedTask(Map<String, String> params, List<ServiceRequest> services, boolean failOnServiceExit) {
        LoadedTask(Map<String, String> params, List<ServiceRequest> services) {
            this(params, services, false);
        }

        /** What the {@code .svc} variables of this task can resolve to, from its services' declared ports. */
        TaskReferences references() {
            Map<String, ServiceConfig> configs = new LinkedHashMap<>();
            services.forEach(s -> configs.put(s.name(), s.config()));
            return new TaskReferences(configs);
        }
    }

    static boolean looksLikeTaskStep(String yaml) {
        return TASK_KEYS.matcher(yaml).find();
    }

    /**
     * @param taskFile     a task step YAML, or null
     * @param extraServices {@code NAME=FILE} service files given on the command line
     */
    static LoadedTask load(Path taskFile, List<String> extraServices) throws IOException {
        Path base = Path.of("").toAbsolutePath();
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, ServiceRequest> services = new LinkedHashMap<>();
        YamlDocument document = null;
        if (taskFile != null) {
            String yaml = Files.readString(taskFile);
            TaskStep step = TaskStep.parseYaml(yaml, taskFile.toString());
            document = YamlDocument.parse(yaml);
            params.putAll(step.params());
            for (ServiceRequest request : step.services()) {
                services.put(request.name(), inline(request, base));
            }
        }
        for (String entry : extraServices) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("--service expects NAME=FILE, got '" + entry + "'");
            }
            var request = new ServiceRequest(entry.substring(0, eq), entry.substring(eq + 1), null, null, null);
            services.put(request.name(), inline(request, base));
        }
        var task = new LoadedTask(params, new ArrayList<>(services.values()),
                document != null && "fail".equals(document.root().path("on_service_exit").asText()));
        if (document != null) {
            // every variable of the step resolvable, or an error with its line:column before anything starts
            var errors = task.references().check(document.root(), document.locator());
            if (!errors.isEmpty()) {
                throw new io.berth.events.config.InvalidConfigException(taskFile.toString(), errors);
            }
        }
        return task;
    }

    private static ServiceRequest inline(ServiceRequest request, Path base) {
        ServiceConfig config = ServiceConfigs.resolve(request, base);
        return new ServiceRequest(request.name(), null, config, null, null);
    }

    private TaskFiles() {}
}
