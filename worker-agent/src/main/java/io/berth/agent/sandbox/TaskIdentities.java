package io.berth.agent.sandbox;

import io.berth.agent.os.ServiceUser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Gives each live task a uid/gid of its own from the operator's range, so no two live tasks on the machine — of this
 * agent or of another — share one: a task's services cannot read each other's files or environments, nor signal
 * each other, across tasks.
 *
 * <p>A uid is held by an exclusive lock on {@code /run/berth/uids/UID} for as long as its task lives (so the lock
 * goes with a crashed agent). The file names the task while in use and is emptied on release: a file still naming a
 * task belongs to an agent that died, and its uid is taken again only once no process runs as it (its services may
 * still be waiting for the next agent to re-attach them). Blocking; thread-safe.
 */
public final class TaskIdentities {
    private static final Path DEFAULT_LOCKS = Path.of("/run/berth/uids");

    private final Path locks;
    private final int first;
    private final int count;
    private final Map<String, Held> byTask = new HashMap<>();
    /**
     * Every uid this JVM holds, of any agent in it: a file whose lock this JVM holds is never opened again, since
     * closing any descriptor of a file drops the process's locks on it.
     */
    private static final Map<Integer, Held> HELD = new HashMap<>();
    private int next;
    /** Whether {@link #makeLocksPrivate} made the lock directory private (guarded by {@link #HELD}). */
    private boolean locksPrivate;
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private record Held(String taskId, ServiceUser user, FileChannel channel, FileLock lock) {}

    public TaskIdentities(SandboxSettings settings) {
        this(DEFAULT_LOCKS, settings.firstUid(), settings.uidCount());
    }

    TaskIdentities(Path locks, int first, int count) {
        this.locks = locks;
        this.first = first;
        this.count = count;
        this.next = (int) (ProcessHandle.current().pid() % count); // agents on one machine start apart
    }

    /** The user of {@code taskId}: the one it has, else a free one. */
    public ServiceUser forTask(String taskId) throws IOException {
        synchronized (HELD) {
            return forTaskLocked(taskId);
        }
    }

    private ServiceUser forTaskLocked(String taskId) throws IOException {
        Held held = byTask.get(taskId);
        if (held != null) {
            return held.user();
        }
        makeLocksPrivate();
        for (int i = 0; i < count; i++) {
            int uid = first + (next + i) % count;
            Held taken = HELD.containsKey(uid) ? null : tryTake(uid, taskId, false);
            if (taken != null) {
                next = (next + i + 1) % count;
                byTask.put(taskId, taken);
                HELD.put(uid, taken);
                return taken.user();
            }
        }
        throw new IOException("no free task uid left in " + first + "-" + (first + count - 1)
                + " (BERTH_UID_RANGE): every one belongs to a live task");
    }

    /**
     * Takes back {@code uid} for {@code taskId}, whose services a crashed agent launched as it (the next agent
     * re-attaches them). Fails if another live task holds it.
     */
    public ServiceUser reclaim(String taskId, int uid) throws IOException {
        synchronized (HELD) {
            return reclaimLocked(taskId, uid);
        }
    }

    private ServiceUser reclaimLocked(String taskId, int uid) throws IOException {
        Held held = byTask.get(taskId);
        if (held != null) {
            return held.user();
        }
        makeLocksPrivate();
        Held inThisJvm = HELD.get(uid);
        if (inThisJvm != null && inThisJvm.taskId().equals(taskId)) {
            byTask.put(taskId, inThisJvm); // its agent stopped without releasing it (it left the task running)
            return inThisJvm.user();
        }
        Held taken = inThisJvm != null ? null : tryTake(uid, taskId, true);
        if (taken == null) {
            throw new IOException("uid " + uid + " of task " + taskId + " is held by another live task");
        }
        byTask.put(taskId, taken);
        HELD.put(uid, taken);
        return taken.user();
    }

    /** Gives the task's uid back (call once none of its processes is left); idempotent. */
    public void release(String taskId) {
        synchronized (HELD) {
            Held held = byTask.remove(taskId);
            if (held == null || HELD.get(held.user().uid()) != held) {
                return;
            }
            HELD.remove(held.user().uid());
            truncateAndUnlock(held);
        }
    }

    private static void truncateAndUnlock(Held held) {
        try (FileChannel ch = held.channel()) {
            ch.truncate(0); // in use no more: the next holder need not look for its processes
            held.lock().release();
        } catch (IOException ignored) {
            // the lock goes with the channel either way; a non-empty file only costs the next holder a look
        }
    }

    /** Whether this agent holds a uid for {@code taskId}. */
    public boolean holds(String taskId) {
        synchronized (HELD) {
            return byTask.containsKey(taskId);
        }
    }

    /**
     * The lock files name the live tasks: root's alone, so that no service lists which tasks run beside it (task ids
     * may say whose code it is). The directory is made so once per agent (an older agent's was readable by all), and
     * again if it is found gone; each file is also made the agent's alone.
     */
    private void makeLocksPrivate() throws IOException {
        if (!locksPrivate) {
            Files.createDirectories(locks, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            Files.setPosixFilePermissions(locks, OWNER_ONLY_DIR);
            locksPrivate = true;
        }
    }

    private Held tryTake(int uid, String taskId, boolean reclaiming) throws IOException {
        FileChannel ch;
        try {
            ch = openLock(uid);
        } catch (NoSuchFileException gone) { // removed while the agent ran (/run emptied by hand, say)
            locksPrivate = false;
            makeLocksPrivate();
            ch = openLock(uid);
        }
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this JVM (another agent in it)
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            String previous = read(ch);
            boolean free = previous.isEmpty() || (reclaiming && previous.equals(taskId)) || !hasProcesses(uid);
            if (!free) {
                lock.release();
                ch.close();
                return null;
            }
            ch.truncate(0);
            // not forced to disk: only agents on this running machine read it (a crashed one's services die with the
            // machine, and with them every reason to look), and a flush per task start cost milliseconds on a disk
            ch.write(ByteBuffer.wrap(taskId.getBytes(StandardCharsets.UTF_8)), 0);
            return new Held(taskId, new ServiceUser("berth-" + uid, uid, uid), ch, lock);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private FileChannel openLock(int uid) throws IOException {
        return FileChannel.open(locks.resolve(Integer.toString(uid)), Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        ch.read(buf, 0);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    /** Whether any process runs as {@code uid} (only asked after a crash: reads the owner of each /proc entry). */
    static boolean hasProcesses(int uid) throws IOException {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isPid(p.getFileName()))) {
            for (Path p : procs) {
                try {
                    if (((Number) Files.getAttribute(p, "unix:uid")).intValue() == uid) {
                        return true;
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return false;
    }

    private static boolean isPid(Path name) {
        String n = name.toString();
        return !n.isEmpty() && n.chars().allMatch(Character::isDigit);
    }
}
