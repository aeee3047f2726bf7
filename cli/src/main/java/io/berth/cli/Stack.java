package io.berth.cli;

import java.io.PrintWriter;

/** The Berth a command talks to: the in-process all-in-one stack, or a deployed one. */
interface Stack extends AutoCloseable {
    String bootstrapServers();

    /** The in-process agent's state directory (scratch space, logs, journal); empty for a deployed Berth. */
    default java.util.Optional<java.nio.file.Path> agentStateDir() {
        return java.util.Optional.empty();
    }

    /** The in-process stack's private temporary directory (Kafka's data, certificates); empty when it has none. */
    default java.util.Optional<java.nio.file.Path> temporaryDir() {
        return java.util.Optional.empty();
    }

    @Override
    void close();

    /**
     * Embedded Kafka, orchestrator and one local agent in this JVM; progress goes to {@code log} if set. Whoever runs
     * it is the worker's operator: a task may ask for host network mode ({@code --network host}).
     */
    static Stack embedded(PrintWriter log) {
        return EmbeddedStack.start(EmbeddedStack.Options.defaults(), log,
                agent -> agent.withSandbox(agent.sandbox().withHostNetwork(true)));
    }

    static Stack remote(String bootstrapServers) {
        return new Stack() {
            @Override
            public String bootstrapServers() {
                return bootstrapServers;
            }

            @Override
            public void close() {
            }
        };
    }
}
