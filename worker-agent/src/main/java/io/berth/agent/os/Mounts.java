package io.berth.agent.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mounts this process sees, from {@code /proc/self/mountinfo}, oldest first. */
public final class Mounts {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private Mounts() {}

    /**
     * One mount.
     *
     * @param mountOptions per-mount options ({@code nosuid}, {@code nodev}, {@code ro}, ...)
     * @param superOptions the file system's own ({@code size=...}, a v1 cgroup's controllers, ...)
     */
    public record Mount(Path mountPoint, List<String> mountOptions, String fsType, String source,
                        List<String> superOptions) {}

    /** Every mount, in the kernel's order: a later one at the same place is mounted on top of an earlier one. */
    public static List<Mount> current() throws IOException {
        List<Mount> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(MOUNTINFO)) {
            // ID PARENT MAJ:MIN ROOT MOUNT-POINT MOUNT-OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS
            String[] halves = line.split(" - ", 2);
            if (halves.length < 2) {
                continue;
            }
            String[] left = halves[0].split(" ");
            String[] right = halves[1].split(" ");
            if (left.length < 6 || right.length < 3) {
                continue;
            }
            mounts.add(new Mount(Path.of(unescape(left[4])), List.of(left[5].split(",")), right[0],
                    unescape(right[1]), List.of(right[2].split(","))));
        }
        return mounts;
    }

    /** The mount on top at exactly {@code dir} (as its real path), or null when nothing is mounted there. */
    public static Mount at(Path dir) throws IOException {
        Path target = dir.toRealPath();
        Mount top = null;
        for (Mount m : current()) {
            if (m.mountPoint().equals(target)) {
                top = m;
            }
        }
        return top;
    }

    /** The oldest mount of file system type {@code fsType} (e.g. the host's {@code cgroup2}), or null. */
    public static Mount firstOfType(String fsType) throws IOException {
        return current().stream().filter(m -> m.fsType().equals(fsType)).findFirst().orElse(null);
    }

    /** mountinfo writes space, tab, newline and backslash in octal ({@code \040}). */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
