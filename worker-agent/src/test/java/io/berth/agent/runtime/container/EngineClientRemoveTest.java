package io.berth.agent.runtime.container;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.berth.agent.testing.Await.failure;
import static io.berth.agent.testing.Await.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A container's removal that podman answers with its clean-up race ("unlinkat .../userdata/shm: device or resource
 * busy", seen in a CI run of the container tests): an engine on a Unix socket that answers the way podman 4.3 did, so
 * that the client's part is what is tested.
 */
@ExtendWith(VertxExtension.class)
class EngineClientRemoveTest {
    static final String BUSY = "removing container c1 root filesystem: 1 error occurred:\n\t* unlinkat "
            + "/var/lib/containers/storage/overlay-containers/c1/userdata/shm: device or resource busy";

    @TempDir
    Path dir;

    HttpServer engine(Vertx vertx, int busyAnswers, List<String> asked) throws Exception {
        AtomicInteger answered = new AtomicInteger();
        HttpServer server = vertx.createHttpServer().requestHandler(req -> {
            asked.add(req.method() + " " + req.path());
            boolean busy = req.method() == HttpMethod.DELETE && answered.getAndIncrement() < busyAnswers;
            req.response().setStatusCode(busy ? 500 : 204)
                    .end(busy ? new io.vertx.core.json.JsonObject().put("message", BUSY).encode() : "");
        });
        result(server.listen(SocketAddress.domainSocketAddress(dir.resolve("engine.sock").toString())));
        return server;
    }

    @Test
    void aRemovalPodmanAnsweredBusy_isAskedAgain_andSucceeds(Vertx vertx) throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        engine(vertx, 2, asked);

        result(new EngineClient(vertx, dir.resolve("engine.sock")).remove("c1"));

        assertEquals(3, asked.size(), "asked until it was removed: " + asked);
        assertTrue(asked.stream().allMatch(a -> a.startsWith("DELETE ") && a.endsWith("/containers/c1")), asked.toString());
    }

    @Test
    void anEngineBusyEveryTime_failsTheRemoval_withItsOwnMessage_afterAFewAttempts(Vertx vertx) throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        engine(vertx, Integer.MAX_VALUE, asked);

        Throwable e = failure(new EngineClient(vertx, dir.resolve("engine.sock")).remove("c1"));

        assertTrue(e.getMessage().contains("device or resource busy"), e.getMessage());
        assertEquals(5, asked.size(), asked.toString());
    }
}
