package io.berth.agent.os;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds the command line that runs a program inside a network namespace, as its own process-group
 * leader, as an unprivileged user:
 * {@code nsenter --net=NS -- setsid -- setpriv --reuid=U --regid=G --init-groups --no-new-privs -- PROGRAM ARGS}.
 * Each wrapper execs the next, so the pid Java sees is the program's pid and its process group id.
 */
public final class ConfinedCommand {
    private ConfinedCommand() {}

    /**
     * @param netns namespace path, or null to stay in the agent's network (host mode)
     * @param user  user to switch to, or null to keep the agent's user
     */
    public static List<String> argv(String netns, ServiceUser user, String program, List<String> args) {
        List<String> argv = new ArrayList<>();
        if (netns != null) {
            argv.addAll(List.of(Tools.NSENTER, "--net=" + netns, "--"));
        }
        argv.addAll(List.of(Tools.SETSID, "--"));
        if (user != null) {
            argv.addAll(List.of(Tools.SETPRIV, "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups",
                    "--no-new-privs", "--"));
        }
        argv.add(program);
        argv.addAll(args);
        return argv;
    }
}
