/**
 * A task's services through their lifecycle. {@code Supervisor} is the agent-wide entry point (idempotent
 * by task id and generation); {@code TaskRun} prepares the network and starts every service; each
 * {@code ServiceRun} launches, probes and reports one service; stop hooks terminate (SIGTERM, grace,
 * SIGKILL to the process group), remove scratch directories and release the network, always all of them.
 */
package io.berth.agent.supervisor;
