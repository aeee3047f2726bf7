package io.berth.agent.supervisor;

import java.util.Optional;

/**
 * Makes a journalled task's launch again from the command it was made from ({@link TaskLaunch#command()}), so that
 * an agent restarted after a crash can re-attach to its services and report on them.
 */
public interface Relauncher {

    /** The launch and where its events go; empty when the command cannot be read (any more). */
    Optional<Relaunch> relaunch(byte[] command);

    record Relaunch(TaskLaunch launch, ServiceEvents events) {}

    /** Relaunches nothing: everything a crashed agent left is reaped. */
    Relauncher NONE = command -> Optional.empty();
}
