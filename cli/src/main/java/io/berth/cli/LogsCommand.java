package io.berth.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code berth logs TASK SERVICE [-f]}: a service's stdout and stderr, from its worker. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "Print a service's log (stdout and stderr), read from its worker through the admin API: "
                + "while it runs, after it exited, and after it failed to start. Secret params are masked.")
final class LogsCommand implements Callable<Integer> {
    @Mixin
    ApiClient.Options api;

    @Parameters(index = "0", paramLabel = "TASK", description = "The task id.")
    String task;

    @Parameters(index = "1", paramLabel = "SERVICE", description = "The service's name.")
    String service;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the service is gone.")
    boolean follow;

    @Option(names = "--tail", paramLabel = "N", description = "Start with the last N lines.")
    Integer tail;

    @Spec
    CommandSpec spec;

    /** Where the log goes: raw bytes, as the service wrote them (set by tests). */
    PrintStream sink = System.out;

    @Override
    public Integer call() {
        return Views.run(spec, () -> {
            String path = "/api/v1/tasks/" + ApiClient.encode(task) + "/services/" + ApiClient.encode(service)
                    + "/logs?follow=" + follow + (tail == null ? "" : "&tail=" + tail);
            try (InputStream in = api.client().stream(path)) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    sink.write(buf, 0, n);
                    sink.flush();
                }
            }
            return ExitCodes.OK;
        });
    }
}
