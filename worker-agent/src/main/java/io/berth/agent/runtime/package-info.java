/**
 * How a service is run. {@code ServiceRuntime} is the small interface; the supervisor's {@code RuntimeSelector}
 * picks one per service from its config. {@code ProcessRuntime} runs a plain process in the task's namespace, as
 * its own process-group leader, as an unprivileged user, in a scratch directory ({@code ServiceWorkspace}) with a
 * clean environment ({@code ServiceEnvironment}); {@code prototype/} runs prototype-based services ({@code type:})
 * the same way, through the prototype protocol.
 */
package io.berth.agent.runtime;
