/**
 * The agent assembled: {@code WorkerAgent} makes the supervisor, the links to the orchestrators, the Kafka sender,
 * the service logs and the metrics endpoint, and runs them as one verticle. It sits above every other package of the
 * agent; {@code AgentSettings} and {@code StateLayout}, which they all use, stay in the root below
 * it.
 */
package io.berth.agent.boot;
