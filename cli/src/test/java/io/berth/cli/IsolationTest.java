package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.berth.agent.network.TaskNetworks;
import io.berth.agent.AgentSettings;
import io.berth.events.EventTypes;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Isolation through the whole stack (embedded Kafka, orchestrator, gRPC, agent), attacked from where a
 * malicious task sits: inside its own network namespace, with root in it.
 */
class IsolationTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String WORKER = "isolation-worker";
    private static final String REDIS = """
            run:
              path: /usr/bin/redis-server
              args: [--port, "6379", --save, "", --appendonly, "no", --protected-mode, "no"]
            ports: [{number: 6379}]
            """;
    private static EmbeddedStack stack;
    private static final List<String> namespacesToRemove = new ArrayList<>();
    private TaskDriver driver;
    private final List<String> tasks = new ArrayList<>();

    @BeforeAll
    static void startStack() {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")), "needs redis-server");
        // the operator lets tasks join their own namespaces in /run/netns, and use host mode
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, WORKER), null, agent -> agent.withSandbox(
                agent.sandbox().withJoinableDirs(java.util.List.of(Path.of("/run/netns"))).withHostNetwork(true)));
    }

    @AfterAll
    static void stopStack() throws Exception {
        try {
            if (stack != null) {
                TestStacks.close(stack); // releases whatever a failed test left running
            }
        } finally {
            namespacesToRemove.add(TaskNetworks.hubName(AgentSettings.defaults(WORKER).stateDir()));
            for (String ns : namespacesToRemove) {
                if (Files.exists(Path.of("/run/netns", ns))) {
                    Processes.run("ip", "netns", "del", ns);
                }
            }
        }
    }

    @BeforeEach
    void driver() {
        driver = new TaskDriver(stack.bootstrapServers());
    }

    @AfterEach
    void endTasks() {
        try {
            for (String task : tasks) {
                try {
                    driver.end(task);
                    driver.await(task, EventTypes.TASK_SERVICES_RELEASED, Duration.ofSeconds(10));
                } catch (Exception | AssertionError e) {
                    System.err.println("could not release " + task + ": " + e);
                }
            }
        } finally {
            driver.close();
        }
    }

    private String newTask() {
        String task = TaskDriver.newTaskId();
        tasks.add(task);
        return task;
    }

    private TaskServicesReady ready(String task) {
        return driver.await(task, EventTypes.TASK_SERVICES_READY, TIMEOUT).payload(TaskServicesReady.class);
    }

    private void release(String task) throws Exception {
        driver.end(task);
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
    }

    /** Runs {@code argv} inside {@code netns} (as the task would, as root), given two seconds. */
    private static Processes.Result in(String netns, String... argv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--", "timeout", "2"));
        cmd.addAll(List.of(argv));
        return Processes.run(cmd.toArray(String[]::new));
    }

    private static Processes.Result redis(String netns, String address, String... command) throws Exception {
        String[] hostPort = address.split(":");
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", hostPort[0], "-p", hostPort[1]));
        cmd.addAll(List.of(command));
        return in(netns, cmd.toArray(String[]::new));
    }

    /** Whether a TCP connection from inside {@code netns} to {@code host:port} succeeds. */
    private static boolean connects(String netns, String host, int port) throws Exception {
        return in(netns, "bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + port).exitCode() == 0;
    }

    /** The host's own IPv4 addresses (loopback included), as seen from the host's namespace. */
    private static Set<String> hostAddresses() throws Exception {
        Set<String> all = new LinkedHashSet<>();
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            for (InetAddress a : nic.inetAddresses().toList()) {
                if (a instanceof Inet4Address) {
                    all.add(a.getHostAddress());
                }
            }
        }
        return all;
    }

    /**
     * The control ports — the orchestrator's gRPC port the agent dials, the agent's own HTTP endpoint
     * (/metrics), the admin API, Kafka — are out of reach from {@code netns}, on every address of the host.
     */
    private void assertControlPortsUnreachableFrom(String netns) throws Exception {
        int metrics = stack.agentMetricsPort();
        assertThat(metrics).as("the agent serves /metrics in this stack").isPositive();
        int kafka = Integer.parseInt(stack.bootstrapServers().replaceAll(".*:", ""));
        List<Integer> ports = List.of(stack.grpcPort(), metrics, stack.httpPort(), kafka);
        Set<String> hosts = hostAddresses();
        assertThat(hosts).contains("127.0.0.1");
        List<String> attacked = new ArrayList<>();
        for (String host : hosts) {
            for (int port : ports) {
                try (var probe = new java.net.Socket(host, port)) {
                    // reachable from the host itself, so the refusal below is the namespace's doing
                } catch (java.io.IOException e) {
                    continue; // e.g. a loopback-only endpoint on a non-loopback address
                }
                assertThat(connects(netns, host, port)).as("%s:%d from %s", host, port, netns).isFalse();
                attacked.add(host + ":" + port);
            }
        }
        assertThat(attacked).as("addresses tried").contains("127.0.0.1:" + stack.grpcPort(), "127.0.0.1:" + metrics);
        System.out.println("unreachable from the task's namespace: " + attacked);
    }

    private static List<String> namespacesOf(String netnsPath) throws Exception {
        String prefix = Path.of(netnsPath).getFileName().toString();
        try (Stream<Path> all = Files.list(Path.of("/run/netns"))) {
            return all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }

    @Test
    void tenTasksWithRedisOn6379_allReady_eachReadsOnlyItsOwn_noneReachableFromHostOrOtherTasks() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            String task = newTask();
            values.put(task, "value-of-task-" + i + "-" + UUID.randomUUID());
            driver.start(task, Map.of("redis", REDIS));
        }
        String bystander = newTask();
        driver.start(bystander, Map.of("echo", """
                run:
                  path: /bin/sh
                  args:
                  - -c
                  - |
                    %s 7000
                ports: [{number: 7000}]
                """.formatted(Processes.LISTEN)));
        Map<String, TaskServicesReady> ready = new LinkedHashMap<>();
        for (String task : values.keySet()) {
            ready.put(task, ready(task));
        }
        System.out.printf("10 tasks with redis: all ready %d ms after the first task.started%n",
                (System.nanoTime() - t0) / 1_000_000);

        for (var e : ready.entrySet()) {
            assertThat(e.getValue().network().mode()).isEqualTo(NetworkSpec.NAMESPACE);
            SvcVariables redis = e.getValue().services().get("redis");
            assertThat(redis.address()).isEqualTo("127.0.0.1:6379");
            assertThat(redis(e.getValue().network().path(), redis.address(), "set", "owner", values.get(e.getKey()))
                    .output().strip()).isEqualTo("OK");
        }
        java.util.Set<Integer> uids = new java.util.HashSet<>();
        for (var e : ready.entrySet()) {
            assertThat(redis(e.getValue().network().path(), "127.0.0.1:6379", "get", "owner").output().strip())
                    .isEqualTo(values.get(e.getKey()));
            // awaited, not looked up: a poll may hand over the task's outcome before its services' events
            long pid = driver.await(e.getKey(), EventTypes.SERVICE_STARTING, TIMEOUT).payload(ServiceStarting.class)
                    .pid();
            // the launcher (the event's pid) is root's; redis itself runs as its task's own uid. Its child as the
            // kernel lists it (ProcessHandle.descendants() guesses parenthood from start times and missed it once)
            long redisPid = Long.parseLong(Files.readString(Path.of("/proc", Long.toString(pid), "task",
                    Long.toString(pid), "children")).strip().split(" ")[0]);
            uids.add(((Number) Files.getAttribute(Path.of("/proc", Long.toString(redisPid)), "unix:uid")).intValue());
        }
        assertThat(uids).as("each task's redis runs as a uid of its own, none root").hasSize(ready.size())
                .doesNotContain(0);
        // a task without redis finds nothing on 127.0.0.1:6379: the others' are on their own loopbacks
        String bystanderNs = ready(bystander).network().path();
        Processes.Result probe = redis(bystanderNs, "127.0.0.1:6379", "get", "owner");
        assertThat(probe.output()).contains("Connection refused").doesNotContain("value-of-task");
        // and the host's own network does not hold them either
        var fromHost = Processes.run("timeout", "2", "redis-cli", "-h", "127.0.0.1", "-p", "6379", "get", "owner");
        assertThat(fromHost.output()).doesNotContain("value-of-task");
        assertControlPortsUnreachableFrom(bystanderNs);

        long t1 = System.nanoTime();
        for (String task : values.keySet()) {
            driver.end(task);
        }
        for (String task : values.keySet()) {
            driver.await(task, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
        }
        System.out.printf("10 tasks released in %d ms%n", (System.nanoTime() - t1) / 1_000_000);
        for (TaskServicesReady r : ready.values()) {
            assertThat(Path.of(r.network().path())).doesNotExist();
        }
    }

    @Test
    void bridgeMode_aTaskCannotReachAnothersService_norBySpoofingItsAddress_andNothingRemains() throws Exception {
        NetworkSpec bridge = new NetworkSpec(NetworkSpec.BRIDGE, null);
        String a = newTask();
        String b = newTask();
        driver.start(a, bridge, Map.of("redis", REDIS));
        driver.start(b, bridge, Map.of("redis", REDIS));
        TaskServicesReady readyA = ready(a);
        TaskServicesReady readyB = ready(b);
        String nsA = readyA.network().path();
        String nsB = readyB.network().path();
        namespacesToRemove.addAll(List.of(Path.of(nsA).getFileName().toString(), Path.of(nsB).getFileName() + "",
                Path.of(nsA).getFileName() + "-redis", Path.of(nsB).getFileName() + "-redis"));
        String addressA = readyA.services().get("redis").address();
        String addressB = readyB.services().get("redis").address();

        assertThat(readyA.network().mode()).isEqualTo(NetworkSpec.BRIDGE);
        assertThat(nsA).startsWith("/run/netns/berth-");
        assertThat(addressA).startsWith("198.18.").endsWith(":6379").isNotEqualTo(addressB);
        assertThat(redis(nsA, addressA, "set", "owner", "a").output().strip()).isEqualTo("OK");
        assertThat(redis(nsB, addressB, "set", "owner", "b").output().strip()).isEqualTo("OK");
        Processes.Result direct = redis(nsB, addressA, "get", "owner");
        assertThat(direct.exitCode()).as(direct.output()).isNotZero();

        // B takes A's address (it is root in its own namespace): still nothing
        String inetA = in(nsA, "ip", "-o", "-4", "addr", "show", "berth0").output().replaceAll("(?s).*inet (\\S+).*", "$1");
        assertThat(in(nsB, "ip", "addr", "flush", "dev", "berth0").exitCode()).isZero();
        assertThat(in(nsB, "ip", "addr", "add", inetA.strip(), "dev", "berth0").exitCode()).isZero();
        Processes.Result spoofed = redis(nsB, addressA, "get", "owner");
        assertThat(spoofed.exitCode()).as(spoofed.output()).isNotZero();
        assertThat(redis(nsA, addressA, "get", "owner").output().strip()).as("A keeps working").isEqualTo("a");

        assertControlPortsUnreachableFrom(nsA);
        assertThat(Processes.run("ip", "-o", "-4", "addr", "show", "to", "198.18.0.0/16").output())
                .as("the host has no address on the bridge").isEmpty();

        release(a);
        release(b);
        assertThat(namespacesOf(nsA)).isEmpty();
        assertThat(namespacesOf(nsB)).isEmpty();
        assertThat(Path.of("/run/netns", TaskNetworks.hubName(AgentSettings.defaults(WORKER).stateDir())))
                .as("hub with its veths, bridge ports and nft tables").doesNotExist();
    }

    @Test
    void joinMode_servicesRunInTheTasksExistingNamespace_whichBerthNeverDeletes() throws Exception {
        String name = "berth-it-join-" + UUID.randomUUID().toString().substring(0, 8);
        namespacesToRemove.add(name);
        assertThat(Processes.run("ip", "netns", "add", name).exitCode()).isZero();
        assertThat(Processes.run("ip", "-n", name, "link", "set", "lo", "up").exitCode()).isZero(); // as a runtime does
        String path = "/run/netns/" + name;
        String task = newTask();

        driver.start(task, new NetworkSpec(NetworkSpec.NAMESPACE, path), Map.of("redis", REDIS));
        TaskServicesReady ready = ready(task);

        assertThat(ready.network()).isEqualTo(new NetworkSpec(NetworkSpec.NAMESPACE, path));
        assertThat(redis(path, ready.services().get("redis").address(), "ping").output().strip()).isEqualTo("PONG");
        release(task);
        assertThat(Path.of(path)).as("the task's own namespace").exists();
        assertThat(redis(path, "127.0.0.1:6379", "ping").output()).contains("Connection refused");
    }

    @Test
    void hostMode_aTakenPortFailsTheTaskWithAClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String task = newTask();
            driver.start(task, new NetworkSpec(NetworkSpec.HOST, null), Map.of("web", """
                    run: {path: /bin/sleep, args: ["60"]}
                    ports: [{number: %d}]
                    """.formatted(taken.getLocalPort())));

            var failed = driver.await(task, EventTypes.TASK_SERVICES_FAILED, TIMEOUT).payload(TaskServicesFailed.class);

            assertThat(failed.service()).isEqualTo("web");
            assertThat(failed.reason()).contains("service 'web': port " + taken.getLocalPort()
                    + " (default) is already in use on this host; in host network mode ports must be free");
        }
    }
}
