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

    @Test
    void aTasksServicesSetUpAtOnce_eachGetTheTasksFilesReady_madeOnce() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.berth.agent.os.Users.agentIsRoot(), "needs root");
        Path state = cleanup.stateDir();
        ServiceSetup setup = new ServiceSetup(io.berth.agent.AgentSettings.defaults("accounts-worker")
                .withStateDir(state));
        var config = io.berth.agent.testing.Configs.service(io.berth.agent.testing.Configs.run("/bin/true"),
                java.util.List.of(), io.berth.agent.testing.Configs.ports(1, 1), 1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 40; round++) {
                String task = cleanup.taskId("files-" + round);
                CyclicBarrier together = new CyclicBarrier(2);
                java.util.List<Future<Object[]>> both = new java.util.ArrayList<>();
                for (String service : java.util.List.of("a", "b")) {
                    both.add(pool.submit(() -> {
                        together.await();
                        var prepared = setup.create(new ServiceLaunch(task, 1, service, config, java.util.Map.of(),
                                null), null, null, java.util.Map.of(), java.util.Map.of());
                        var files = prepared.exec().sandbox().files();
                        // as the launcher would find them, the instant the setup returns
                        return new Object[] {files.tmp(), Files.getAttribute(files.tmp(), "unix:uid"),
                                prepared.exec().sandbox().identity().uid(),
                                Files.readAttributes(files.passwd(), BasicFileAttributes.class).fileKey()};
                    }));
                }
                Object[] a = both.get(0).get();
                Object[] b = both.get(1).get();
                assertEquals(a[0], b[0], "round " + round + ": one temporary directory for the task");
                assertEquals(a[2], a[1], "round " + round + ": a's /tmp was not yet the task's");
                assertEquals(b[2], b[1], "round " + round + ": b's /tmp was not yet the task's");
                assertEquals(a[3], b[3], "round " + round + ": one passwd file for the task");
                setup.releaseTask(task);
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
