package io.berth.agent.runtime.prototype;

import io.berth.agent.os.FileTrees;
import io.berth.agent.os.ServiceUser;
import io.berth.agent.runtime.ServiceWorkspace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the agent and a prototype exchange one service's requests and responses:
 * {@code <stateDir>/tasks/<task>/<service>.prototype/}, beside the service's scratch directory, owned by the
 * agent and not writable by the service user. A request is an agent-only file, opened as the message's
 * stdin. A response file is created empty beforehand and given to the service user, so a prototype can
 * write it but can never swap in a link that would make the agent read something else. Blocking.
 */
final class MessageFiles {
    /** A response larger than this is refused rather than read. */
    static final long MAX_RESPONSE_BYTES = 1 << 20;

    private final Path dir;
    private final ServiceUser owner;

    private MessageFiles(Path dir, ServiceUser owner) {
        this.dir = dir;
        this.owner = owner;
    }

    /** @param owner the service user (null: the agent's own user) */
    static MessageFiles create(Path stateDir, String taskId, String service, ServiceUser owner) throws IOException {
        Path workspace = ServiceWorkspace.location(stateDir, taskId, service);
        Path dir = workspace.resolveSibling(workspace.getFileName() + ".prototype");
        FileTrees.delete(dir);
        Files.createDirectories(dir.getParent());
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        return new MessageFiles(dir, owner);
    }

    /** Writes the request for {@code message}; the returned file is readable by the agent only. */
    Path request(String message, String json) throws IOException {
        Path file = dir.resolve(message + ".request.json");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        return file;
    }

    /** An empty response file for {@code message}, writable by the service user. */
    Path response(String message) throws IOException {
        Path file = dir.resolve(message + ".response.json");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        if (owner != null) {
            Files.setAttribute(file, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(file, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
        }
        return file;
    }

    /** What the prototype wrote to {@code file}. */
    static String readResponse(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the response file " + file + " is gone");
        }
        long size = Files.size(file);
        if (size > MAX_RESPONSE_BYTES) {
            throw new IOException("the response is " + size + " bytes, more than the " + MAX_RESPONSE_BYTES + " allowed");
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    void remove() throws IOException {
        FileTrees.delete(dir);
    }
}
