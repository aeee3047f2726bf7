package io.berth.loadtest.generator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.config.ServiceConfig;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service each task asks for. It must listen at once, so the figures are Berth's overhead and not
 * a database's boot, and exit on SIGTERM at once, so teardown measures Berth and not the service.
 * Configs are sent inline in {@code task.started}, so a deployed worker needs no files.
 */
public enum BenchService implements ServiceSource {
    /**
     * busybox's httpd (busybox-static): a static program that listens at once and costs well under a millisecond
     * of CPU to start, so a task's CPU is Berth's. The default.
     */
    BUSYBOX {
        @Override
        ServiceConfig config(int port) {
            return config(List.of("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:" + port, "-h", "."), port);
        }
    },
    /**
     * A perl TCP listener (perl is on every Debian): binds, listens, prints the instant it listens
     * (epoch seconds, microsecond resolution) to its log, sleeps; SIGTERM's default action ends it.
     * Its log line gives the service's own launch→listen time, so it can be told apart from Berth's.
     */
    LISTENER {
        @Override
        ServiceConfig config(int port) {
            return config(List.of("/usr/bin/perl", "-e", LISTENER_SCRIPT, Integer.toString(port)), port);
        }
    },
    /** redis-server without persistence. Its SIGTERM shutdown waits for its next cron tick (up to 100 ms). */
    REDIS {
        @Override
        ServiceConfig config(int port) {
            return config(List.of("/usr/bin/redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no"), port);
        }
    };

    /** The listener; {@code $|} flushes the log line at once. */
    public static final String LISTENER_SCRIPT = String.join("\n",
            "use Socket; use Time::HiRes ();",
            "$| = 1;",
            "socket(my $s, PF_INET, SOCK_STREAM, 0) or die \"socket: $!\";",
            "setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);",
            "bind($s, sockaddr_in($ARGV[0], INADDR_LOOPBACK)) or die \"bind $ARGV[0]: $!\";",
            "listen($s, 128) or die \"listen: $!\";",
            "printf \"listening on %d at %.6f\\n\", $ARGV[0], Time::HiRes::time();",
            "sleep;");

    private static final Pattern STAMP = Pattern.compile("listening on (\\d+) at (\\d+)\\.(\\d{6})");

    /** The config of one instance listening on {@code port} (its only port, probed by Berth's default probe). */
    abstract ServiceConfig config(int port);

    /** {@code count} services named {@code s1..sN} on consecutive ports from {@code firstPort}. */
    @Override
    public List<ServiceRequest> requests(int count, int firstPort) {
        List<ServiceRequest> services = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            services.add(new ServiceRequest("s" + (i + 1), null, config(firstPort + i), null, null));
        }
        return services;
    }

    @Override
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The epoch microsecond a listener's log says it started listening, if the log has that line. */
    public static OptionalLong listenStamp(String log) {
        Matcher m = STAMP.matcher(log);
        if (!m.find()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(m.group(2)) * 1_000_000 + Long.parseLong(m.group(3)));
    }

    static ServiceConfig config(List<String> argv, int port) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        ObjectNode run = node.putObject("run");
        run.put("path", argv.get(0));
        argv.subList(1, argv.size()).forEach(run.putArray("args")::add);
        node.putArray("ports").addObject().put("number", port);
        // the default probe: every port listening, read from the namespace's socket table
        node.put("termination_grace_seconds", 5);
        return ServiceConfigs.fromJson(node, "load-test service");
    }
}
