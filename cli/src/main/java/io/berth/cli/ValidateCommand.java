package io.berth.cli;

import io.berth.events.config.InvalidConfigException;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.TaskStep;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Checks service configs and task files, reporting every error with its location. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check service configs and task files; report every error with its path and line:column. "
                + "A file with a top-level 'services:' or 'task:' key is read as a task step (its services' "
                + "files are checked too, for every combination of its 'across' values, and a ((.:VAR)) that no "
                + "across var binds is an error), anything else as a service config.")
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Service config or task files (YAML).")
    List<Path> files;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int invalid = 0;
        for (Path file : files) {
            try {
                String yaml = Files.readString(file);
                if (TaskFiles.looksLikeTaskStep(yaml)) {
                    var matrix = TaskFiles.loadMatrix(file, List.of());
                    out.println(file + ": ok (task" + (matrix.isMatrix()
                            ? ", across: " + matrix.runs().size() + " combinations" : "") + ")");
                } else {
                    ServiceConfigs.parseYaml(yaml, file.toString());
                    out.println(file + ": ok (service)");
                }
            } catch (InvalidConfigException e) {
                invalid++;
                err.println(e.getMessage());
            } catch (java.io.IOException e) {
                invalid++;
                err.println(file + ": cannot read: " + e.getMessage());
            }
        }
        return invalid == 0 ? ExitCodes.OK : ExitCodes.INVALID;
    }
}
