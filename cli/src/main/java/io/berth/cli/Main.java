package io.berth.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code berth}: native services for CI steps. */
@Command(name = "berth", mixinStandardHelpOptions = true, version = "berth 0.1.0",
        description = "Native services for CI steps: start a task's services next to it, prove them ready, "
                + "expose them as ((.svc:NAME.address)) and tear them down when the task ends.",
        subcommands = {RunCommand.class, UpCommand.class, ValidateCommand.class, WorkersCommand.class,
            TasksCommand.class, TaskCommand.class, LogsCommand.class, OrchestratorServeCommand.class,
            AgentServeCommand.class, CertsCommand.class, ReapRunCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:invalid input (validate found errors)",
            "2:usage error",
            "3:a service failed to start; the command did not run",
            "4:Berth itself failed (timeout, broker unreachable, ...)"})
public final class Main {
    /** True in the {@code berth} process itself (not when a test runs a command in its own JVM). */
    static volatile boolean standalone;

    public static void main(String[] args) {
        standalone = true;
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        var cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("berth: " + ex.getMessage());
            return ExitCodes.BERTH_ERROR;
        });
        return cli;
    }
}
