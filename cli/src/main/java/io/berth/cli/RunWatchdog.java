package io.berth.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Takes the in-process agent's services along when {@code bin/berth run} dies without ending its task (SIGKILL, the
 * OOM killer): a small helper process, in a session of its own so that a signal to the run's process group does not
 * reach it, waits on a pipe from this JVM. When the run ends it says so and the helper exits; when the pipe closes
 * without that (the JVM is gone, however it died), the helper reaps what the agent journalled — services killed by
 * process group, network namespaces and scratch directories removed, as the next agent on the machine would — and
 * removes the run's state directory and its stack's temporary directory.
 */
final class RunWatchdog implements AutoCloseable {
    private static final String GOODBYE = "done";
    private final Process helper;

    private RunWatchdog(Process helper) {
        this.helper = helper;
    }

    /**
     * Watches this JVM on behalf of the agent whose state directory is {@code stateDir}; {@code temporaryDir} (Kafka's
     * data, certificates; null if none) goes too.
     */
    static RunWatchdog start(Path stateDir, Path temporaryDir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // sh blocks in read until this JVM writes the goodbye or dies (EOF); only then does a JVM start, to reap
        String script = "IFS= read -r line; [ \"$line\" = " + GOODBYE + " ] && exit 0; "
                + "[ -n \"$3\" ] && rm -rf -- \"$3\"; "
                + "exec \"$0\" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m -cp \"$1\" io.berth.cli.Main "
                + "reap-run \"$2\"";
        ProcessBuilder pb = new ProcessBuilder(List.of("setsid", "sh", "-c", script, java,
                System.getProperty("java.class.path"), stateDir.toString(),
                temporaryDir == null ? "" : temporaryDir.toString()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("BERTH_JAVA_OPTS", "");
        return new RunWatchdog(pb.start());
    }

    /** The run ended and cleaned up after itself: the helper leaves without doing anything. */
    @Override
    public void close() {
        try (OutputStream pipe = helper.getOutputStream()) {
            pipe.write((GOODBYE + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the helper is gone already; nothing to tell it
        }
    }
}
