package io.berth.agent.runtime.container;

import io.berth.agent.AgentSettings;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceStartException;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.supervisor.RuntimeSelector;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which runtime an agent has for image-based services, with and without a container engine. */
@ExtendWith(VertxExtension.class)
class RuntimeSelectionTest {
    final AgentSettings settings = AgentSettings.defaults("w").withStateDir(Path.of("/tmp/berth-selection-test"))
            .withEngineSocket(null);

    @AfterEach
    void removeTheAgentsCgroups() throws Exception {
        Cgroups.forStateDir(settings.stateDir()).removeAgent(); // a process runtime makes them when it is created
    }

    @Test
    void withAnEngineSocket_imagesRunAsContainers(Vertx vertx) {
        AgentSettings withEngine = settings.withEngineSocket(Path.of("/run/podman/podman.sock"));

        assertEquals(Path.of("/run/podman/podman.sock"), withEngine.engineSocket());
        assertEquals(withEngine.engineSocket(), withEngine.withCapacity(3).withStateDir(Path.of("/tmp")).engineSocket());
        assertEquals(List.of("prototype", "container", "process"), RuntimeSelector.standard(vertx, withEngine).names());
    }

    @Test
    void withoutOne_anImageIsRefusedInsteadOfRunningItsCommandOnTheHost(Vertx vertx) throws Exception {
        RuntimeSelector selector = RuntimeSelector.standard(vertx, settings);
        ServiceConfig image = new ServiceConfig(null, "redis:7", null, RunSpec.ofProcess("/bin/true"), List.of(),
                Map.of(), List.of(), null, 1);

        Throwable e = failure(selector.start(new ServiceLaunch("t", 1, "cache", image, Map.of(), null)));

        assertNull(settings.engineSocket());
        assertEquals(List.of("prototype", "process"), selector.names());
        assertInstanceOf(ServiceStartException.class, e);
        assertEquals("service 'cache': it runs an image, and this worker has no container engine (agent setting "
                + "engineSocket, BERTH_ENGINE_SOCKET) (runtimes: prototype, process)", e.getMessage());
    }
}
