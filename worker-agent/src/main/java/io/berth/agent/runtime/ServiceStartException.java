package io.berth.agent.runtime;

/** A service could not be launched. The message names the service and the reason, for humans. */
public class ServiceStartException extends RuntimeException {
    public ServiceStartException(String service, String reason) {
        super("service '" + service + "': " + reason);
    }

    public ServiceStartException(String service, String reason, Throwable cause) {
        super("service '" + service + "': " + reason, cause);
    }
}
