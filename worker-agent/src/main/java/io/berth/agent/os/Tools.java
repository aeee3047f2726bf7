package io.berth.agent.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Absolute paths of the system tools the agent runs. Resolved once, from the system directories,
 * so neither the agent's nor a service's {@code PATH} decides which binary runs as root.
 */
public final class Tools {
    private static final List<String> DIRS = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");

    public static final String IP = find("ip");
    public static final String NSENTER = find("nsenter");
    public static final String GETENT = find("getent");
    public static final String NFT = find("nft");
    public static final String MOUNT = find("mount");
    public static final String UMOUNT = find("umount");

    private Tools() {}

    private static String find(String name) {
        for (String dir : DIRS) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return name; // absent: the command fails with a clear "cannot run" when used
    }
}
