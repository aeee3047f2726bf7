package io.berth.agent.link;

import io.berth.agent.logs.ServiceSecrets;
import io.berth.agent.metrics.AgentMetrics;
import io.berth.agent.metrics.MeteredServiceEvents;
import io.berth.events.payload.ServiceEvent;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decorators of a task's service events, each alone: masking, metering. */
class ServiceEventDecoratorsTest {
    private static final String SECRET = "correct-horse-battery-staple";
    private final List<ServiceEvent> passedOn = new ArrayList<>();

    private Future<Void> record(ServiceEvent event) {
        passedOn.add(event);
        return Future.succeededFuture();
    }

    @Test
    void masking_coversReasonsProbeMessagesAndLogTails_ofTheEventsService_only() {
        ServiceSecrets secrets = new ServiceSecrets();
        secrets.remember("t1", "db", Map.of("POSTGRES_PASSWORD", SECRET));
        var masked = new MaskedServiceEvents(this::record, secrets);

        masked.emit(new ServiceFailed("t1", "db", "w", 1, "bad " + SECRET, List.of("line " + SECRET)));
        masked.emit(new ServiceProbe("t1", "db", "w", 1, 2, "failure", "said " + SECRET));
        masked.emit(new ServiceExited("t1", "db", "w", 1, 3, List.of(SECRET)));
        masked.emit(new ServiceFailed("t1", "web", "w", 1, "web knows no " + SECRET, List.of()));
        ServiceStarting starting = new ServiceStarting("t1", "db", "w", 1, 42L);
        masked.emit(starting);

        assertEquals(new ServiceFailed("t1", "db", "w", 1, "bad ******", List.of("line ******")), passedOn.get(0));
        assertEquals("said ******", ((ServiceProbe) passedOn.get(1)).message());
        assertEquals(List.of("******"), ((ServiceExited) passedOn.get(2)).logTail());
        assertTrue(((ServiceFailed) passedOn.get(3)).reason().contains(SECRET), "another service's secret");
        assertSame(starting, passedOn.get(4));
    }

    @Test
    void metering_countsEachKindOnce_andTheProbeAttemptsOfAReadyService() {
        AgentMetrics metrics = new AgentMetrics("w");
        var metered = new MeteredServiceEvents(this::record, metrics);

        metered.emit(new ServiceStarting("t1", "db", "w", 1, 42L));
        metered.emit(new ServiceProbe("t1", "db", "w", 1, 1, "failure", null));
        metered.emit(new ServiceProbe("t2", "db", "w", 1, 4, "failure", null)); // another task's db
        metered.emit(new ServiceProbe("t1", "db", "w", 1, 2, "error", null));
        metered.emit(new ServiceReady("t1", "db", "w", 1, null, "127.0.0.1", Map.of(), 0, null, 5));
        metered.emit(new ServiceStopped("t1", "db", "w", 1, "SIGKILL", 7, 137));

        assertEquals(6, passedOn.size(), "every event is passed on");
        var registry = metrics.registry();
        assertEquals(1.0, registry.get("berth.agent.services.started").counter().count());
        assertEquals(1.0, registry.get("berth.agent.service.stops").tag("signal", "SIGKILL").counter().count());
        assertEquals(0.0, registry.get("berth.agent.service.stops").tag("signal", "SIGTERM").counter().count());
        assertEquals(0.0, registry.get("berth.agent.service.failures").counter().count());
        var attempts = registry.get("berth.agent.probe.attempts").summary();
        assertEquals(1, attempts.count(), "one ready service");
        assertEquals(3.0, attempts.totalAmount(), "two counted failures, then the attempt that succeeded");
    }
}
