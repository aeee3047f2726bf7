package io.berth.agent.runtime.prototype;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berth.agent.runtime.ExecContext;
import io.berth.agent.sandbox.Launcher;
import io.berth.agent.sandbox.Relay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends messages to one service's prototype: runs the message's command the way the service runs (in its sandbox:
 * the task's network and identity, in the working directory that holds the inputs), with {@code {"object": params, "response_path": ...}} on stdin and its output appended to the
 * service's log. Blocking methods: call them from a worker thread.
 */
final class MessageCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A message command that was started, and where it writes its response. */
    record Started(Relay relay, Path responsePath) {}

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

    /** The same messages, sent inside the sandbox of the running service launched as {@code launcherPid}. */
    MessageCommand entering(long launcherPid) {
        return new MessageCommand(prototype, new ExecContext(exec.sandbox().entering(launcherPid), exec.workDir(),
                exec.env()), log, files, object);
    }

    /** Starts the command of {@code message}; returns as soon as it runs. */
    Started start(String message) throws IOException {
        Path response = files.response(message);
        byte[] request = request(object, response).getBytes(StandardCharsets.UTF_8);
        Relay relay = Launcher.shared().startService(new Launcher.Command(exec.sandbox(),
                prototype.executable(message), List.of(), exec.workDir(), exec.env(), request), log);
        return new Started(relay, response);
    }

    /** Runs {@code message} to its end; at {@code timeout} it is killed with everything it started. */
    Outcome run(String message, Duration timeout) throws IOException {
        Started started = start(message);
        Relay relay = started.relay();
        try {
            try {
                return new Outcome(relay.exit().get(timeout.toNanos(), TimeUnit.NANOSECONDS), false,
                        started.responsePath());
            } catch (TimeoutException e) {
                relay.signal(true); // the launcher: its sandbox goes with it
                relay.exit().get();
                return new Outcome(-1, true, started.responsePath());
            }
        } catch (ExecutionException e) {
            throw new IOException(prototype + " handling " + message + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            relay.signal(true);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + prototype + " handled " + message, e);
        }
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

}
