/**
 * Container services through the Docker Engine API (docker's socket, or podman's {@code podman system service}).
 * {@code ContainerRuntime} resolves the image ({@code ImageRef}), pulls it if missing, creates the container
 * ({@code ContainerSpec}: run as entrypoint/command, params as env, inputs read-only, the task's network
 * namespace, limits, labels; {@code ContainerUsers}: who it is on the host) and starts it; {@code ContainerService}
 * is the running container as a {@code ServiceProcess} (engine stop/kill, exit from the engine, logs copied into
 * the service log by {@code ContainerLogCopy}, probe commands through exec by {@code ContainerExec});
 * {@code ContainerReaper} removes what crashed agents left, found by its labels; {@code EngineClient} is the
 * non-blocking client of the engine's API, over {@code EngineHttp} on its Unix socket.
 */
package io.berth.agent.runtime.container;
