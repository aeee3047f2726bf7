/**
 * Where a task's services listen: a network namespace Berth creates per task ({@code NamespaceNetwork}),
 * the task's own namespace ({@code JoinedNamespace}), a namespace and bridge address per service behind
 * nftables rules in the agent's hub namespace ({@code BridgeNetwork}, {@code BridgeHub},
 * {@code BridgeFirewall}), or the host's network without isolation ({@code HostNetwork}).
 * {@code TaskNetworks} picks one from the request.
 */
package io.berth.agent.network;
