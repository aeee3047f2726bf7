package io.berth.cli;

import io.berth.events.config.InvalidConfigException;
import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.config.TaskMatrix;
import io.berth.events.config.TaskStep;
import io.berth.events.validation.ValidationError;
import io.berth.events.validation.YamlDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /** One run of a task file: its {@code across} values ({@code ""} without across) and the task they make. */
    record LoadedRun(String label, LoadedTask task) {}

    /** Every run of a task file, one per {@code across} combination (one run without across). */
    record LoadedMatrix(TaskMatrix matrix, List<LoadedRun> runs) {
        boolean isMatrix() {
            return matrix != null && matrix.isMatrix();
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
        return loadMatrix(taskFile, extraServices).runs().get(0).task();
    }

    /**
     * Like {@link #load}, for each {@code across} combination of the task file, with {@code ((.:VAR))} replaced
     * (file paths included) before the service files are read.
     */
    static LoadedMatrix loadMatrix(Path taskFile, List<String> extraServices) throws IOException {
        if (taskFile == null) {
            return new LoadedMatrix(null, List.of(new LoadedRun("", load(null, extraServices, false))));
        }
        String yaml = Files.readString(taskFile);
        TaskMatrix matrix = TaskMatrix.parseYaml(yaml, taskFile.toString());
        YamlDocument document = YamlDocument.parse(yaml);
        boolean failOnServiceExit = "fail".equals(document.root().path("on_service_exit").asText());
        List<LoadedRun> runs = new ArrayList<>();
        Set<ValidationError> errors = new LinkedHashSet<>();
        for (TaskMatrix.Combination combination : matrix.combinations()) {
            LoadedTask task = load(combination.step(), extraServices, failOnServiceExit);
            runs.add(new LoadedRun(combination.label(), task));
            // every variable of the step resolvable, or an error with its line:column before anything starts
            errors.addAll(task.references().check(document.root(), document.locator()));
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(taskFile.toString(), new ArrayList<>(errors));
        }
        return new LoadedMatrix(matrix, runs);
    }

    private static LoadedTask load(TaskStep step, List<String> extraServices, boolean failOnServiceExit) {
        Path base = Path.of("").toAbsolutePath();
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, ServiceRequest> services = new LinkedHashMap<>();
        if (step != null) {
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
        return new LoadedTask(params, new ArrayList<>(services.values()), failOnServiceExit);
    }

    private static ServiceRequest inline(ServiceRequest request, Path base) {
        ServiceConfig config = ServiceConfigs.resolve(request, base);
        return new ServiceRequest(request.name(), null, config, null, null);
    }

    private TaskFiles() {}
}
