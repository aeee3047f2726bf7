package io.berth.agent.probe;

/** A service did not become ready; the message names the service and says why, for humans. */
public class ServiceNotReadyException extends RuntimeException {
    public ServiceNotReadyException(String message) {
        super(message);
    }
}
