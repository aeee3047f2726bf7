package io.berth.cli;

/** Exit codes distinct from whatever the task's own command returns on success paths. */
final class ExitCodes {
    static final int OK = 0;
    static final int INVALID = 1;
    static final int USAGE = 2;
    static final int SERVICE_FAILED = 3;
    static final int BERTH_ERROR = 4;
    /** A service exited on its own while CMD ran, and the task says {@code on_service_exit: fail}. */
    static final int SERVICE_EXITED = 5;

    private ExitCodes() {}
}
