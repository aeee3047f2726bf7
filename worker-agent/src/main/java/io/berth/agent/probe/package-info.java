/**
 * Startup probes: {@code Probe} is one synchronous decision step (success, failure, error);
 * {@code Probes} builds them ({@code forPorts}, {@code forCommand}, {@code allOf}); {@code ProbeRunner}
 * is the timer that owns period, threshold and deadline.
 */
package io.berth.agent.probe;
