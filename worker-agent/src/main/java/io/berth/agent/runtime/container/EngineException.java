package io.berth.agent.runtime.container;

/** The container engine answered a request with an error; the message is the engine's own. */
public class EngineException extends RuntimeException {
    private final int status;

    public EngineException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** HTTP status of the engine's answer. */
    public int status() {
        return status;
    }

    /** Whether {@code e} says that the container, image or exec instance does not exist. */
    public static boolean isNotFound(Throwable e) {
        return e instanceof EngineException ee && ee.status == 404;
    }
}
