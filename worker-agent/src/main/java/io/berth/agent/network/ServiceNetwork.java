package io.berth.agent.network;

/**
 * Where one service runs and how its task reaches it.
 *
 * @param path namespace path the service runs in, or null for the host network
 * @param host address the task reaches the service on
 */
public record ServiceNetwork(String path, String host) {}
