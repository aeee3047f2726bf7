package io.berth.orchestrator.view;

import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import java.util.List;

/**
 * A service of a {@link TaskView}.
 *
 * @param configJson the config the agent was sent (an inline config resolved, or the {@code file:} entry)
 * @param ready      the ready event (host, ports, timings), null until ready
 * @param stopped    the stopped event (signal, duration, exit code), null until stopped
 * @param logTail    the last log lines its failed or exited event carried
 */
public record ServiceView(String name, String status, Integer exitCode, String failureReason, String stopSignal,
                          int probeAttempts, String configJson, ServiceReady ready, ServiceStopped stopped,
                          List<String> logTail) {}
