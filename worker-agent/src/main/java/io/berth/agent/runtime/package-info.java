/**
 * How a service is run. {@code ServiceRuntime} is the small interface; {@code ProcessRuntime} runs a
 * plain process in the task's namespace, as its own process-group leader, as an unprivileged user, in a
 * scratch directory ({@code ServiceWorkspace}) with a clean environment ({@code ServiceEnvironment}).
 */
package io.berth.agent.runtime;
