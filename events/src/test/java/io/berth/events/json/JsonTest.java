package io.berth.events.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.berth.events.config.RunSpec;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.TaskEnded;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void records_areWrittenSnakeCaseWithoutNulls() {
        assertEquals("{\"task_id\":\"t\",\"service\":\"db\",\"worker\":\"w\",\"generation\":2}",
                Json.string(new ServiceStarting("t", "db", "w", 2, null)));
    }

    @Test
    void unknownProperties_areToleratedOnRead() {
        assertEquals(new TaskEnded("t", "failed"),
                Json.read("{\"task_id\":\"t\",\"outcome\":\"failed\",\"later\":1}".getBytes(), TaskEnded.class));
    }

    @Test
    void runSpec_isAStringWhenItIsAMessage() {
        assertEquals("\"up\"", Json.string(RunSpec.ofMessage("up")));
        assertEquals(RunSpec.ofMessage("up"), Json.read("\"up\"".getBytes(), RunSpec.class));
        RunSpec process = RunSpec.ofProcess("pg_isready", "-h", "127.0.0.1");
        assertEquals("{\"path\":\"pg_isready\",\"args\":[\"-h\",\"127.0.0.1\"]}", Json.string(process));
        assertEquals(process, Json.read(Json.bytes(process), RunSpec.class));
    }
}
