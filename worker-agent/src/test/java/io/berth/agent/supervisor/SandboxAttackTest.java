package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.StateLayout;
import io.berth.agent.os.Exec;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.os.Users;
import io.berth.agent.runtime.ServiceWorkspace;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.agent.testing.ServiceProcesses;
import io.berth.events.config.ResourceLimits;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.port;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.probe;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A task's services attack the worker and another task's services, as hostile code would: each attack must fail.
 * Every one of them succeeded when services ran as one shared user through root wrappers that saw their environment.
 */
@ExtendWith(VertxExtension.class)
class SandboxAttackTest {
    static final Duration WAIT = Duration.ofSeconds(15);

    final Cleanup cleanup = new Cleanup();
    AgentSettings settings;
    Supervisor supervisor;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws IOException {
        settings = AgentSettings.defaults("attack-worker").withStateDir(cleanup.stateDir())
                .withDefaultNetworkMode(NetworkSpec.NAMESPACE);
        supervisor = new Supervisor(vertx, settings);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            result(supervisor.stopAll());
        } finally {
            cleanup.run();
        }
    }

    /** A ready service: its task, and its launcher's pid (what its {@code starting} event says). */
    record Started(String task, long launcher) {
        /** The host pid of the service's program (its launcher's descendant running {@code command}, once it does). */
        long program(String command) {
            return await().atMost(WAIT).until(() -> ServiceProcesses.of(launcher).stream()
                    .filter(h -> h.info().commandLine().orElse("").equals(command)).mapToLong(ProcessHandle::pid)
                    .max(), java.util.OptionalLong::isPresent).getAsLong();
        }
    }

    /** Starts {@code service} alone in a task of its own, and waits until it is ready. */
    Started startReady(String label, String service, ServiceConfig config) throws Exception {
        String task = cleanup.taskId(label);
        RecordingEvents events = new RecordingEvents();
        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of(service, config), Map.of()), events));
        events.await("ready", service, WAIT);
        return new Started(task, (long) events.first("starting", service).orElseThrow().get("pid"));
    }

    /** The uid {@code task}'s {@code service} runs as: its scratch directory's owner. */
    int uidOf(String task, String service) throws IOException {
        return ((Number) Files.getAttribute(ServiceWorkspace.location(settings.stateDir(), task, service), "unix:uid"))
                .intValue();
    }

    List<String> log(String task, String service) throws IOException {
        Path log = StateLayout.of(settings.stateDir()).log(task, 1, service);
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    void loaderVariablesInParams_neverReachARootProcess() throws Exception {
        // a library any task could drop on the machine: it records who loaded it
        Path dir = Files.createDirectories(cleanup.stateDir().resolve("evil"));
        Path marker = dir.resolve("loaded-by");
        Files.createFile(marker);
        Files.setPosixFilePermissions(marker, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Path source = Files.writeString(dir.resolve("evil.c"), """
                #include <stdio.h>
                #include <unistd.h>
                __attribute__((constructor)) static void evil(void) {
                    FILE *f = fopen("%s", "a");
                    if (f) { fprintf(f, "uid=%%d\\n", (int) getuid()); fclose(f); }
                }
                """.formatted(marker));
        Path library = dir.resolve("evil.so");
        Exec.Result cc = Exec.run(List.of("cc", "-shared", "-fPIC", "-o", library.toString(), source.toString()),
                Duration.ofSeconds(60));
        assertThat(cc.ok()).as(cc.output()).isTrue();
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(library, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

        String task = startReady("preload", "s", service(run("/bin/sleep", "600"), List.of(), ports(1, 1), 1,
                Map.of("LD_PRELOAD", library.toString()), List.of())).task();
        await().atMost(WAIT).until(() -> Files.size(marker) > 0); // the service has run
        result(supervisor.stop(task));

        List<String> loads = Files.readAllLines(marker);
        assertThat(loads).as("the service itself loads it, as its own user").isNotEmpty()
                .allSatisfy(line -> assertThat(line).isNotEqualTo("uid=0"));
    }

    @Test
    void aServiceCannotReadOrSignalAnotherTasksService() throws Exception {
        Started victim = startReady("victim", "db", service(run("/bin/sh", "-c",
                "echo correct-horse > $HOME/secret; chmod 644 $HOME/secret; exec sleep 600"), List.of(), ports(1, 1),
                1, Map.of("DB_PASSWORD", "correct-horse-battery"), List.of()));
        long victimPid = victim.program("/usr/bin/sleep 600");
        Path victimDir = ServiceWorkspace.location(settings.stateDir(), victim.task(), "db");
        await().atMost(WAIT).until(() -> Files.exists(victimDir.resolve("secret")));

        // the attacker knows the victim's host pid and directory, and tries everything a shared uid allowed
        String attack = String.join("; ",
                "cat " + victimDir.resolve("secret") + " && echo READ-FILE",
                "tr '\\0' '\\n' < /proc/" + victimPid + "/environ | grep DB_PASSWORD && echo READ-ENV",
                "kill -9 " + victimPid + " && echo KILLED",
                "echo seen=$(ls -d /proc/[0-9]* | wc -l)",
                "exec sleep 600");
        String attacker = startReady("attacker", "evil", service(run("/bin/sh", "-c", attack), List.of(),
                ports(1, 1), 1)).task();
        await().atMost(WAIT).until(() -> log(attacker, "evil").stream().anyMatch(l -> l.startsWith("seen=")));

        List<String> out = log(attacker, "evil");
        assertThat(out).doesNotContain("READ-FILE", "READ-ENV", "KILLED", "correct-horse",
                "DB_PASSWORD=correct-horse-battery");
        int seen = Integer.parseInt(out.stream().filter(l -> l.startsWith("seen=")).findFirst().orElseThrow()
                .substring(5));
        assertThat(seen).as("processes the attacker sees: its sandbox's alone").isLessThanOrEqualTo(6);
        assertThat(ProcessHandle.of(victimPid).map(ProcessHandle::isAlive)).contains(true);
        int victimUid = uidOf(victim.task(), "db");
        int attackerUid = uidOf(attacker, "evil");
        assertThat(attackerUid).as("two live tasks never share a uid").isNotEqualTo(victimUid);
    }

    @Test
    void aServiceCannotReachAnotherTasksTemporaryFiles_andTheyGoWithTheirTask() throws Exception {
        String secret = "berth-secret-" + java.util.UUID.randomUUID();
        String planted = "berth-planted-" + java.util.UUID.randomUUID();
        // written as services do: the host's default umask leaves it readable by all
        Started victim = startReady("tmp-victim", "db", service(run("/bin/sh", "-c",
                "echo correct-horse > /tmp/" + secret + "; exec sleep 600"), List.of(), ports(1, 1), 1));
        int victimUid = uidOf(victim.task(), "db");
        Path victimTmp = StateLayout.of(settings.stateDir()).tmp(victim.task(), victimUid);
        await().atMost(WAIT).until(() -> Files.exists(victimTmp.resolve(secret)));

        String attack = String.join("; ",
                "cat /tmp/" + secret + " /var/tmp/" + secret + " && echo READ-TMP",
                "echo waiting > /tmp/" + planted + " && echo planted",
                "echo listed", "exec sleep 600");
        String attacker = startReady("tmp-attacker", "evil", service(run("/bin/sh", "-c", attack), List.of(),
                ports(1, 1), 1)).task();
        await().atMost(WAIT).until(() -> log(attacker, "evil").contains("listed"));

        assertThat(log(attacker, "evil")).doesNotContain("READ-TMP", "correct-horse").contains("planted");
        assertThat(Path.of("/tmp", secret)).as("the victim's file on the host's /tmp").doesNotExist();
        assertThat(Path.of("/tmp", planted)).as("the attacker's file on the host's /tmp").doesNotExist();
        result(supervisor.stop(victim.task()));
        assertThat(victimTmp).as("the victim's temporary files, for the next holder of its uid").doesNotExist();
    }

    @Test
    void aServiceCannotListWhichOtherTasksRunOnTheWorker() throws Exception {
        // task ids may say whose code runs (a repository, a branch): the agent's record of which uid each live task
        // holds named them to every service
        Started victim = startReady("uids-victim", "db", service(run("/bin/sh", "-c", "exec sleep 600"), List.of(),
                ports(1, 1), 1));
        String attack = String.join("; ",
                "grep -rh . /run/berth/uids/ && echo READ-UIDS",
                "ls /run/berth/uids > /dev/null && echo LISTED-UIDS",
                "echo done", "exec sleep 600");
        String attacker = startReady("uids-attacker", "evil", service(run("/bin/sh", "-c", attack), List.of(),
                ports(1, 1), 1)).task();
        await().atMost(WAIT).until(() -> log(attacker, "evil").contains("done"));

        assertThat(String.join("\n", log(attacker, "evil"))).doesNotContain(victim.task(), attacker, "READ-UIDS",
                "LISTED-UIDS");
    }

    @Test
    void aServiceNeitherListsNorHoldsAnotherTasksNetworkNamespace() throws Exception {
        // its copy of the host's mounts had a bind of every live task's namespace: listed, and kept alive by the copy
        // until the service ended, long after its task had
        Started victim = startReady("netns-victim", "db", service(run("/bin/sh", "-c", "exec sleep 600"),
                List.of(), ports(1, 1), 1));
        String victimNamespace = io.berth.agent.os.TaskIds.namespaceName(victim.task());
        String attack = String.join("; ", "ls -a /run/netns /var/run/netns", "grep nsfs /proc/self/mountinfo",
                "echo done", "exec sleep 600");
        String attacker = startReady("netns-attacker", "evil", service(run("/bin/sh", "-c", attack), List.of(),
                ports(1, 1), 1)).task();
        await().atMost(WAIT).until(() -> log(attacker, "evil").contains("done"));

        assertThat(Path.of("/run/netns", victimNamespace)).as("the victim's namespace is there").exists();
        assertThat(String.join("\n", log(attacker, "evil"))).doesNotContain(victimNamespace, "nsfs", "berth-");
    }

    @Test
    void aServiceSeesItsOwnNetworkInterfacesAlone_notTheHosts() throws Exception {
        // the host's /sys listed the host's interfaces, their addresses and traffic counters
        String seen = startReady("sysfs", "evil", service(run("/bin/sh", "-c",
                "echo interfaces $(ls /sys/class/net); echo done; exec sleep 600"), List.of(), ports(1, 1), 1)).task();
        await().atMost(WAIT).until(() -> log(seen, "evil").contains("done"));

        assertThat(log(seen, "evil")).as("its task's namespace has a loopback alone").contains("interfaces lo");
    }

    @Test
    void aServiceSeesItsOwnCgroupsAlone_notAnotherTasksOrTheHosts() throws Exception {
        // the host's cgroup file systems named every other task's services (a hash of the task, the service's name)
        // and gave their memory and CPU counters away
        Started victim = startReady("cgroups-victim", "db", service(run("/bin/sh", "-c", "exec sleep 600"),
                List.of(), ports(1, 1), 1));
        String victimCgroup = Cgroups.serviceName(victim.task(), 1, "db");
        ServiceConfig attack = new ServiceConfig(null, null, null, run("/bin/sh", "-c", String.join("; ",
                "find /sys/fs/cgroup -maxdepth 9 -type d 2>/dev/null",
                "echo own-pids-max $(cat $(find /sys/fs/cgroup -maxdepth 2 -name pids.max) 2>/dev/null)",
                "echo done", "exec sleep 600")),
                List.of(), Map.of(), List.of(), ports(1, 1), 1, new ResourceLimits(null, null, 77L));
        String attacker = startReady("cgroups-attacker", "evil", attack).task();
        await().atMost(WAIT).until(() -> log(attacker, "evil").contains("done"));

        String seen = String.join("\n", log(attacker, "evil"));
        assertThat(Cgroups.forStateDir(settings.stateDir()).existing(victimCgroup).dirs())
                .as("the victim's cgroups are there").isNotEmpty();
        assertThat(seen).as("what the attacker found").doesNotContain(victimCgroup, "berth/agent-", "system.slice",
                "init.scope");
        assertThat(seen).as("its own limit, where a program sizing itself looks").contains("own-pids-max 77");
    }

    @Test
    void aProgramInTheHostsTmp_runs_andItsServiceSeesTheHostsTmp_whileAnotherTaskKeepsItsOwn() throws Exception {
        // a checkout under /tmp, say: the service could not run its program with a /tmp of its task's own
        String id = java.util.UUID.randomUUID().toString();
        Path marker = Files.writeString(Path.of("/tmp", "berth-host-marker-" + id), "host\n");
        Path program = Files.writeString(Path.of("/tmp", "berth-host-program-" + id),
                "#!/bin/sh\n[ -e " + marker + " ] && echo sees-the-hosts-tmp; exec sleep 600\n");
        try {
            Files.setPosixFilePermissions(program, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            // reached through a link from outside /tmp, as a checkout's symlinked tool would be
            Path link = Files.createSymbolicLink(cleanup.stateDir().resolve("program-link"), program);
            String inHost = startReady("host-tmp", "s", service(run(link.toString()), List.of(), ports(1, 1), 1))
                    .task();
            String own = startReady("own-tmp", "s", service(run("/bin/sh", "-c",
                    "[ -e " + marker + " ] || echo own-tmp; exec sleep 600"), List.of(), ports(1, 1), 1)).task();
            await().atMost(WAIT).until(() -> log(inHost, "s").contains("sees-the-hosts-tmp")
                    && log(own, "s").contains("own-tmp"));
        } finally {
            Files.deleteIfExists(program);
            Files.deleteIfExists(marker);
        }
    }

    @Test
    void whatAServiceKeepsInItsUidsKeyring_isNotTheNextTasksWithThatUid(Vertx vertx) throws Exception {
        // one uid for every task: the next task gets the one the first gave back
        supervisor = new Supervisor(vertx, settings.withSandbox(settings.sandbox().withUidRange(
                settings.sandbox().firstUid() + 977, 1)));
        String secret = "berth-key-" + java.util.UUID.randomUUID();
        Started first = startReady("key-first", "db", service(run("/bin/sh", "-c",
                "keyctl add user " + secret + " correct-horse @u; echo stored; exec sleep 600"), List.of(),
                ports(1, 1), 1));
        await().atMost(WAIT).until(() -> log(first.task(), "db").contains("stored"));
        int firstUid = uidOf(first.task(), "db");
        result(supervisor.stop(first.task()));

        String next = startReady("key-next", "evil", service(run("/bin/sh", "-c",
                "id=$(keyctl search @u user " + secret + ") && keyctl print $id; echo searched; exec sleep 600"),
                List.of(), ports(1, 1), 1)).task();
        await().atMost(WAIT).until(() -> log(next, "evil").contains("searched"));
        int nextUid = uidOf(next, "evil");
        assertThat(nextUid).as("the uid was given again").isEqualTo(firstUid);
        assertThat(log(next, "evil")).doesNotContain("correct-horse");
    }

    @Test
    void aServiceCannotSeeAnotherTasksSharedMemory_andNoneOfItOutlivesTheTask() throws Exception {
        // System V shared memory open to all (0666), as a careless service leaves it: the next holder of the uid
        // would own it, and any service could attach it
        Started victim = startReady("ipc-victim", "db", service(run("/bin/sh", "-c",
                "ipcmk -M 4096 -p 0666 && exec sleep 600"), List.of(), ports(1, 1), 1));
        await().atMost(WAIT).until(() -> log(victim.task(), "db").stream().anyMatch(l -> l.contains("memory id")));
        int victimUid = uidOf(victim.task(), "db");
        try {
            String attacker = startReady("ipc-attacker", "evil", service(run("/bin/sh", "-c",
                    "awk 'NR > 1 { print \"seen-shm\", $2, $8 }' /proc/sysvipc/shm; echo listed; exec sleep 600"),
                    List.of(), ports(1, 1), 1)).task();
            await().atMost(WAIT).until(() -> log(attacker, "evil").contains("listed"));
            assertThat(log(attacker, "evil")).as("segments the attacker sees")
                    .noneMatch(l -> l.startsWith("seen-shm ") && l.endsWith(" " + victimUid));

            result(supervisor.stop(victim.task()));
            assertThat(hostSegmentsOf(victimUid)).as("the victim's segments left on the host once its task ended")
                    .isEmpty();
        } finally {
            for (String id : hostSegmentsOf(victimUid)) { // the old sandbox left them: not for the next test
                Exec.run(List.of("ipcrm", "-m", id), Duration.ofSeconds(10));
            }
        }
    }

    /** The ids of the host's System V shared memory segments owned by {@code uid}. */
    private static List<String> hostSegmentsOf(int uid) throws IOException {
        return Files.readAllLines(Path.of("/proc/sysvipc/shm")).stream().skip(1).map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length > 7 && f[7].equals(Integer.toString(uid))).map(f -> f[1]).toList();
    }

    @Test
    void aForkBombInOneTask_isCappedByItsPidsLimit_andAnotherTaskKeepsAnswering() throws Exception {
        String neighbour = startReady("neighbour", "web", service(run("/bin/sh", "-c",
                "exec perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => \"127.0.0.1:7100\", "
                        + "Listen => 5, ReuseAddr => 1); while ($c = $s->accept) { print $c \"up\\n\"; close $c }'"),
                List.of(port(7100)), ports(50, 0.1), 1)).task();
        // 3000 processes, if nothing stops it (a bounded bomb: the machine must survive a run without limits too)
        ServiceConfig bomb = new ServiceConfig(null, null, null, run("/usr/bin/perl", "-e",
                "$| = 1; for (1 .. 3000) { my $p = fork; if (defined $p && $p == 0) { sleep 60; exit } "
                        + "$refused++ unless defined $p } print \"spawned, $refused refused\\n\"; sleep 600"),
                List.of(), Map.of(), List.of(), ports(1, 1), 1, new ResourceLimits(null, null, 50L));
        Started bomber = startReady("bomb", "bomb", bomb);
        await().atMost(WAIT).until(() -> log(bomber.task(), "bomb").stream().anyMatch(l -> l.startsWith("spawned")));

        // at most 50 in its cgroup: init, the shell and the sleeps it got (the launcher is outside)
        assertThat(ServiceProcesses.of(bomber.launcher()).size()).as("the bomb's processes").isLessThanOrEqualTo(51);
        assertThat(log(bomber.task(), "bomb")).anyMatch(l -> l.matches("spawned, (29[5-9][0-9]) refused"));
        String netns = "/run/netns/" + io.berth.agent.os.TaskIds.namespaceName(neighbour);
        Exec.Result answer = Exec.run(List.of("nsenter", "--net=" + netns, "--", "perl", "-MIO::Socket::INET", "-e",
                "print IO::Socket::INET->new(PeerAddr => '127.0.0.1:7100')->getline"), Duration.ofSeconds(10));
        assertThat(answer.output().strip()).isEqualTo("up");
    }

    @Test
    void aMemoryHogDiesAtItsLimit_andAServiceGetsACgroupOnlyWhereItIsLimited() throws Exception {
        Cgroups cgroups = Cgroups.forStateDir(settings.stateDir());
        org.junit.jupiter.api.Assumptions.assumeTrue(cgroups.canLimit("memory"), "no memory controller here");
        // ready at once, then 256 MB under a 64 MB limit (a size perl cannot fold into a constant at compile time)
        ServiceConfig hog = new ServiceConfig(null, null, null, run("/usr/bin/perl", "-e",
                "$| = 1; sleep 1; print \"allocating\\n\"; my $x = 'x' x shift; print \"survived\\n\"; sleep 600",
                "268435456"),
                List.of(), Map.of(), List.of(), ports(1, 1), 1, new ResourceLimits("64m", null, null));
        Started hogger = startReady("hog", "hog", hog);
        Started plain = startReady("plain", "web", service(run("/bin/sleep", "600"), List.of(), ports(1, 1), 1));

        List<Path> hogDirs = cgroups.existing(Cgroups.serviceName(hogger.task(), 1, "hog")).dirs();
        List<Path> plainDirs = cgroups.existing(Cgroups.serviceName(plain.task(), 1, "web")).dirs();
        assertThat(plainDirs).as("no memory or cpu cgroup without such a limit")
                .noneMatch(d -> d.toString().contains("/memory/") || d.toString().contains("/cpu/"));
        assertThat(hogDirs).as("the memory limit has its cgroup").hasSize(plainDirs.size() + 1);

        await().atMost(WAIT).until(() -> !ProcessTable.isLive(hogger.launcher()));
        assertThat(log(hogger.task(), "hog")).contains("allocating").doesNotContain("survived");
        assertThat(ProcessTable.isLive(plain.launcher())).as("the neighbour lives on").isTrue();
    }

    @Test
    void aServiceFloodingItsLog_staysWithinTheCapWhileItWrites(Vertx vertx) throws Exception {
        long cap = 1 << 20;
        supervisor = new Supervisor(vertx, settings.withSandbox(settings.sandbox().withLogCap(cap)));
        Started flood = startReady("flood", "loud", service(run("/bin/sh", "-c",
                "head -c 300000000 /dev/zero | tr '\\0' x; touch $HOME/written; exec sleep 600"), List.of(),
                ports(1, 1), 1));
        Path log = StateLayout.of(settings.stateDir()).log(flood.task(), 1, "loud");
        Path written = ServiceWorkspace.location(settings.stateDir(), flood.task(), "loud").resolve("written");
        long largest = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline && !Files.exists(written)) {
            largest = Math.max(largest, Files.size(log)); // while it writes: no rotation in between here
        }
        largest = Math.max(largest, Files.size(log));

        assertThat(largest).as("bytes on disk while 300 MB were written").isLessThanOrEqualTo(cap / 2 + (64 << 10) + 128);
        result(supervisor.stop(flood.task()));
        assertThat(log(flood.task(), "loud").stream()
                .anyMatch(l -> l.matches("\\[berth: \\d+ bytes of output dropped: the log was at its cap]")))
                .as("the log says what it dropped").isTrue();
    }
}
