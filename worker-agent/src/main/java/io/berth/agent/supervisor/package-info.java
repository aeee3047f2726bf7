/**
 * A task's services through their lifecycle. {@code Supervisor} is the agent-wide entry point (idempotent
 * by task id and generation); {@code TaskRun} prepares the network and starts every service; each
 * {@code ServiceRun} launches, probes and reports one service; stop hooks terminate (SIGTERM, grace,
 * SIGKILL to the process group), remove scratch directories and release the network, always all of them.
 * What happens is emitted as the payload records of {@code berth.service-events} ({@code ServiceEvents.emit});
 * {@code StartupSort} sorts what a crashed predecessor left into tasks to re-attach, to report gone and to reap.
 */
package io.berth.agent.supervisor;
