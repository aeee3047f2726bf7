package io.berth.orchestrator.placement;

/** A task to place: its id, the worker it names (or null) and how many services it starts. */
public record PlacementRequest(String taskId, String worker, int services) {}
