package io.berth.loadtest.generator;

import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import java.nio.file.Path;
import java.util.List;

/** The services a generated task asks for. */
public interface ServiceSource {

    /** {@code count} services; those that take a port get consecutive ones from {@code firstPort}. */
    List<ServiceRequest> requests(int count, int firstPort);

    String label();

    /** One service from a config file, sent inline, as it is (its ports are its own). */
    static ServiceSource file(String name, Path configFile) {
        ServiceConfig config = ServiceConfigs.load(configFile);
        return new ServiceSource() {
            @Override
            public List<ServiceRequest> requests(int count, int firstPort) {
                if (count != 1) {
                    throw new IllegalArgumentException(configFile + " has fixed ports: one instance per task");
                }
                return List.of(new ServiceRequest(name, null, config, null, null));
            }

            @Override
            public String label() {
                return name + " (" + configFile + ")";
            }
        };
    }
}
