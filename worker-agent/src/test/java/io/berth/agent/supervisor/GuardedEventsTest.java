package io.berth.agent.supervisor;

import io.berth.events.payload.ServiceStopped;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A listener that fails, at once or later, never fails the lifecycle that emits to it. */
class GuardedEventsTest {
    private static final ServiceStopped STOPPED = new ServiceStopped("t1", "db", "w", 1, "SIGTERM", 5, 0);

    @Test
    void aThrowingListener_andOneWhoseSendFails_bothAnswerDone() {
        ServiceEvents throwing = event -> {
            throw new IllegalStateException("producer closed");
        };
        ServiceEvents refused = event -> Future.failedFuture("broker away");

        assertTrue(new GuardedEvents(throwing).emit(STOPPED).succeeded());
        assertTrue(new GuardedEvents(refused).emit(STOPPED).succeeded());
        assertTrue(new GuardedEvents(null).emit(STOPPED).succeeded(), "no listener: nothing to tell");
    }
}
