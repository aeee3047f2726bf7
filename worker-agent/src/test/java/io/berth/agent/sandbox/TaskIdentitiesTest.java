package io.berth.agent.sandbox;

import io.berth.agent.testing.Cleanup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TaskIdentitiesTest {
    final Cleanup cleanup = new Cleanup();

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    @Test
    void theRecordOfWhichTaskHoldsAUid_namesTheTask_andIsTheAgentsAlone() throws Exception {
        // as an older agent left it: readable by all
        Path locks = Files.createDirectory(cleanup.stateDir().resolve("uids"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        TaskIdentities identities = new TaskIdentities(locks, 290_000, 4);

        int uid = identities.forTask("acme/secret-repo#42").uid();

        Path record = locks.resolve(Integer.toString(uid));
        assertEquals("acme/secret-repo#42", Files.readString(record));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(record)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(locks)));
        identities.release("acme/secret-repo#42");
        assertEquals("", Files.readString(record), "emptied on release");
    }

    @Test
    void aLockDirectoryRemovedWhileTheAgentRuns_isMadeAgain_theAgentsAlone() throws Exception {
        Path locks = cleanup.stateDir().resolve("uids");
        TaskIdentities identities = new TaskIdentities(locks, 290_000, 4);
        identities.forTask("first");
        identities.release("first");
        io.berth.agent.os.FileTrees.delete(locks);

        int uid = identities.forTask("second").uid();

        assertEquals("second", Files.readString(locks.resolve(Integer.toString(uid))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(locks)));
        identities.release("second");
    }
}
