package io.berth.loadtest.stack;

import java.nio.file.Path;
import java.util.Optional;

/** The Berth the generator drives: one in this JVM, or a deployed one reached through its Kafka. */
public interface BenchStack extends AutoCloseable {

    String bootstrapServers();

    /**
     * The worker agent's state directory when the agent runs in this JVM: the services' own logs are
     * read there (the listener writes the instant it started listening). Empty for a deployed system.
     */
    Optional<Path> agentStateDir();

    /** One line for the report, e.g. "embedded: kafka 127.0.0.1:40211, orchestrator, agent 'bench'". */
    String description();

    @Override
    void close();

    /** A deployed Berth: the generator only produces and consumes. */
    static BenchStack remote(String bootstrapServers) {
        return new BenchStack() {
            @Override
            public String bootstrapServers() {
                return bootstrapServers;
            }

            @Override
            public Optional<Path> agentStateDir() {
                return Optional.empty();
            }

            @Override
            public String description() {
                return "deployed Berth at " + bootstrapServers;
            }

            @Override
            public void close() {
            }
        };
    }
}
