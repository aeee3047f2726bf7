package io.berth.agent.runtime.prototype;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berth.agent.os.ConfinedCommand;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Signals;
import io.berth.agent.runtime.ExecContext;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends messages to one service's prototype: runs the message's command the way the service runs (in the
 * task's network, as its own process-group leader, as the service user, in the working directory that holds
 * the inputs), with {@code {"object": params, "response_path": ...}} on stdin and its output appended to the
 * service's log. Blocking methods: call them from a worker thread.
 */
final class MessageCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A message command that was started, and where it writes its response. */
    record Started(Process process, Path responsePath) {}

    /** How a message command that ran to its end did. */
    record Outcome(int exitCode, boolean timedOut, Path responsePath) {}

    private final Prototype prototype;
    private final ExecContext exec;
    private final Path log;
    private final MessageFiles files;
    private final Map<String, Object> object;

    MessageCommand(Prototype prototype, ExecContext exec, Path log, MessageFiles files, Map<String, Object> object) {
        this.prototype = prototype;
        this.exec = exec;
        this.log = log;
        this.files = files;
        this.object = object;
    }

    Prototype prototype() {
        return prototype;
    }

    /** Starts the command of {@code message}; returns as soon as it runs. */
    Started start(String message) throws IOException {
        Path response = files.response(message);
        Path request = files.request(message, request(object, response));
        List<String> argv = ConfinedCommand.argv(exec.netns(), exec.user(), prototype.executable(message).toString(),
                List.of());
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(exec.workDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(request.toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(exec.env());
        return new Started(pb.start(), response);
    }

    /** Runs {@code message} to its end; at {@code timeout} its whole process tree is killed. */
    Outcome run(String message, Duration timeout) throws IOException {
        Started started = start(message);
        Process p = started.process();
        try {
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                killTree(p);
                return new Outcome(-1, true, started.responsePath());
            }
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + prototype + " handled " + message, e);
        }
        killLeftovers(p.pid());
        return new Outcome(p.exitValue(), false, started.responsePath());
    }

    /** The JSON request of the prototype protocol. */
    static String request(Map<String, Object> object, Path responsePath) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("object", object);
        request.put("response_path", responsePath.toString());
        try {
            return JSON.writeValueAsString(request);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("params cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** SIGKILL to a message command, its process group and every descendant it has. */
    static void killTree(Process p) {
        List<ProcessHandle> descendants = p.descendants().toList();
        long pid = p.pid();
        if (ProcessTable.processGroup(pid) == pid) {
            Signals.group(pid, "KILL");
        }
        p.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly); // a handle knows its start time: no pid reuse
    }

    /** What a finished message command left running in its process group does not outlive it. */
    static void killLeftovers(long pgid) {
        if (!ProcessTable.groupMembers(pgid).isEmpty()) {
            Signals.group(pgid, "KILL");
        }
    }
}
