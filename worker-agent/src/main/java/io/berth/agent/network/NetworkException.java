package io.berth.agent.network;

/** A task network could not be created, joined or used; the message says which and why. */
public class NetworkException extends RuntimeException {
    public NetworkException(String message) {
        super(message);
    }

    public NetworkException(String message, Throwable cause) {
        super(message, cause);
    }
}
