package io.berth.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small process helpers for tests, and tiny TCP services written in perl (on every Debian). */
final class Processes {
    /** A TCP listener on 127.0.0.1:$1 that answers "hi" to each connection. */
    static final String LISTEN = "perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => \"127.0.0.1\", "
            + "LocalPort => shift, Listen => 5, ReuseAddr => 1) or die \"listen: $!\"; "
            + "while ($c = $s->accept) { print $c \"hi\\n\"; close $c }'";
    /** Same, but ignoring SIGTERM. */
    static final String LISTEN_IGNORING_TERM = LISTEN.replace("-e '", "-e '$SIG{TERM} = \"IGNORE\"; ");
    /** An executable answering its second argument to every connection on port $1. */
    static final String ANSWER_SCRIPT = writeAnswerScript();

    record Result(int exitCode, String output) {}

    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), out);
    }

    /**
     * The processes of the service whose launcher is {@code pid} (what its {@code starting} event says): the launcher
     * and its descendants — the sandbox's init, the service and whatever it forked, in a session of its own or not.
     */
    static List<ProcessHandle> serviceProcesses(long pid) {
        return ProcessHandle.of(pid).map(h -> java.util.stream.Stream.concat(java.util.stream.Stream.of(h),
                h.descendants()).toList()).orElse(List.of());
    }

    /**
     * Those of {@code processes} still alive (a handle knows its start: a reused pid is not mistaken for it; a zombie
     * is dead, waiting for its new parent to reap it).
     */
    static List<ProcessHandle> alive(List<ProcessHandle> processes) {
        return processes.stream().filter(h -> h.isAlive() && !zombie(h.pid())).toList();
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true; // gone
        }
    }

    /**
     * A directory of the tests' own outside /tmp (root's), for what sandboxed services must see: their /tmp is their
     * task's own.
     */
    static Path outsideTmp() throws IOException {
        return Files.createDirectories(Path.of("/var/lib/berth-test"));
    }

    private static String writeAnswerScript() {
        try {
            Path script = Files.createTempFile(outsideTmp(), "berth-answer", ".pl",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.writeString(script, """
                    #!/usr/bin/perl
                    use IO::Socket::INET;
                    my ($port, $answer) = @ARGV;
                    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 5,
                        ReuseAddr => 1) or die "listen: $!";
                    while (my $c = $s->accept) { print $c "$answer\\n"; close $c }
                    """);
            script.toFile().deleteOnExit();
            return script.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Processes() {}
}
