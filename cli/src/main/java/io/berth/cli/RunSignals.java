package io.berth.cli;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/**
 * What {@code bin/berth run} does on SIGINT (a terminal's Ctrl-C, a CI runner's cancel — usually sent to the whole
 * process group), SIGTERM and SIGHUP: instead of the JVM's default (run the shutdown hooks and exit at once, which
 * left the task's services running), the signal is only noted here, and the run ends its task as it would at a
 * normal end — CMD stops (it got the signal too, or is sent it), task.ended is published, the services are released
 * and reported — then exits 128 + the signal's number. Another signal while that happens hurries CMD (SIGKILL), never
 * the release.
 */
final class RunSignals {
    private static final List<String> HANDLED = List.of("INT", "TERM", "HUP");

    private final AtomicReference<Signal> first = new AtomicReference<>();
    private final AtomicInteger count = new AtomicInteger();

    /** Signals left to the JVM's defaults: nothing is ever received. */
    static RunSignals none() {
        return new RunSignals();
    }

    /** Handles the signals from now on, for the rest of this JVM's life. */
    static RunSignals install() {
        RunSignals signals = new RunSignals();
        for (String name : HANDLED) {
            try {
                Signal.handle(new Signal(name), signals::received);
            } catch (IllegalArgumentException unsupported) {
                // a platform without it (or the JVM reserves it): the default stays
            }
        }
        return signals;
    }

    private void received(Signal signal) {
        first.compareAndSet(null, signal);
        count.incrementAndGet();
    }

    /** True once any handled signal arrived. */
    boolean received() {
        return first.get() != null;
    }

    /** True after a second signal: stop waiting politely for CMD. */
    boolean hurried() {
        return count.get() > 1;
    }

    /** The first signal's name ({@code INT}, {@code TERM}, {@code HUP}), or null. */
    String name() {
        Signal s = first.get();
        return s == null ? null : s.getName();
    }

    /** 128 + the first signal's number, the shell's convention (130 for SIGINT, 143 for SIGTERM). */
    int exitCode() {
        Signal s = first.get();
        return s == null ? ExitCodes.OK : 128 + s.getNumber();
    }
}
