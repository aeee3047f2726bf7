package io.berth.agent.journal;

import io.berth.agent.StateLayout;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * An agent's claim on its state directory: an OS file lock held for the agent's lifetime and released
 * by the kernel when the agent dies, however it dies. A state directory whose lock can be taken belongs
 * to no live agent, so what it journals may be reaped.
 */
public final class StateDirLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private StateDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock on {@code stateDir}, or empty when a live agent holds it. */
    public static Optional<StateDirLock> tryAcquire(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        FileChannel channel = FileChannel.open(StateLayout.of(stateDir).lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return Optional.of(new StateDirLock(channel, lock));
            }
        } catch (OverlappingFileLockException heldInThisJvm) {
            // another agent in this JVM owns it
        }
        channel.close();
        return Optional.empty();
    }

    /** Whether {@code dir} is (or was) an agent's state directory. */
    public static boolean isStateDir(Path dir) {
        return Files.isRegularFile(StateLayout.of(dir).lockFile());
    }

    @Override
    public void close() throws IOException {
        if (lock.isValid()) {
            lock.release();
        }
        channel.close();
    }
}
