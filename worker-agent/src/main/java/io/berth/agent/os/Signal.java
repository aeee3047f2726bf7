package io.berth.agent.os;

import java.util.Locale;
import java.util.Optional;

/** Linux's standard signals (x86, arm numbering), as Berth names them on the wire: {@code SIGTERM}, never {@code TERM}. */
public enum Signal {
    SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
    SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ,
    SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS;

    /** What a release reports when no signal was needed (the service had ended by itself). */
    public static final String NONE = "none";

    public int number() {
        return ordinal() + 1;
    }

    /** The signal numbered {@code number}, if it is a standard one. */
    public static Optional<Signal> of(int number) {
        return number >= 1 && number <= values().length ? Optional.of(values()[number - 1]) : Optional.empty();
    }

    /**
     * A container engine's stop signal: docker says {@code SIGINT}, podman {@code 2}, a Dockerfile may say {@code INT};
     * empty for anything else.
     */
    public static Optional<Signal> fromEngine(String said) {
        String s = said == null ? "" : said.strip().toUpperCase(Locale.ROOT);
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            return s.length() > 2 ? Optional.empty() : of(Integer.parseInt(s));
        }
        try {
            return Optional.of(valueOf(s.startsWith("SIG") ? s : "SIG" + s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The name a release reports: the signal's, or {@value #NONE} for null. */
    public static String reported(Signal signal) {
        return signal == null ? NONE : signal.name();
    }
}
