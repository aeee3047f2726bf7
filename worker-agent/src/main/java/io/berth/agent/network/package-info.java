/**
 * Where a task's services listen: a network namespace Berth creates per task ({@code NamespaceNetwork}),
 * the task's own namespace ({@code JoinedNamespace}), or the host's network without isolation
 * ({@code HostNetwork}). {@code TaskNetworks} picks one from the request.
 */
package io.berth.agent.network;
