package io.berth.agent.runtime;

import io.berth.agent.testing.Cleanup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task's services are set up at once, and each asks for the task's passwd file, which the launcher bind-mounts
 * into its sandbox. A file renamed over while it is bound makes the bind fail with ENOENT (a service exiting 125
 * under load): once published, the file must never be replaced.
 */
class ServiceSetupAccountsTest {
    final Cleanup cleanup = new Cleanup();

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    @Test
    void twoServicesAskingAtOnce_getTheSameFile_andItIsNeverReplaced() throws Exception {
        Path state = cleanup.stateDir();
        Path host = Files.writeString(state.resolve("host-passwd"), "root:x:0:0:root:/root:/bin/sh\n".repeat(50));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 300; round++) {
                Path accounts = Files.createDirectories(state.resolve("task" + round));
                Path file = accounts.resolve("passwd");
                CyclicBarrier together = new CyclicBarrier(2);
                Future<Object> first = pool.submit(() -> publish(together, file, host));
                Future<Object> second = pool.submit(() -> publish(together, file, host));
                Object firstSaw = first.get();
                Object secondSaw = second.get();
                Object stays = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
                assertEquals(stays, firstSaw, "round " + round + ": the file the first service got was replaced");
                assertEquals(stays, secondSaw, "round " + round + ": the file the second service got was replaced");
                assertTrue(Files.readString(file).endsWith("task:x:100000:100000::/nonexistent:/usr/sbin/nologin\n"));
                try (var left = Files.list(accounts)) {
                    assertEquals(1, left.count(), "round " + round + ": a temporary file was left");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Object publish(CyclicBarrier together, Path file, Path host) throws Exception {
        together.await();
        Path got = ServiceSetup.accountFile(file, host, "task:x:100000:100000::/nonexistent:/usr/sbin/nologin");
        return Files.readAttributes(got, BasicFileAttributes.class).fileKey();
    }
}
