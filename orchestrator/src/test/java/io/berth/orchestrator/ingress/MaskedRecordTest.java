package io.berth.orchestrator.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.validation.ValidationError;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dead letters never show a secret param's value (issue 15, item 3). */
class MaskedRecordTest {
    private static final String SECRET = "s3cret-horse-battery";
    private static final String EVENT = """
            {"specversion":"1.0","id":"1","source":"ci","type":"%s","subject":"t1","data":{"task_id":"t1",
             "services":[{"name":"db","params":{"API_TOKEN":"%s"},
               "config":{"run":{"path":"/bin/sh","args":["-c","echo %s"]},"params":{"POSTGRES_PASSWORD":"%s","MODE":"x"}}}]}}
            """.formatted(EventTypes.TASK_STARTED, SECRET, SECRET, SECRET);

    @Test
    void aDeadLetter_masksSecretParams_andTheirValuesWhereverElseTheyAppear() {
        Rejection rejection = new Rejection(DeadLetter.Reason.INVALID_SERVICE_CONFIG, "bad value '" + SECRET + "'",
                List.of(ValidationError.at("$.data.services[0]", "is '" + SECRET + "'")), null, null, null);
        DeadLetter letter = DeadLetter.of(rejection, Topics.TASK_EVENTS, 0, 7, "t1",
                EVENT.getBytes(StandardCharsets.UTF_8), "berth://orchestrator/test");
        String json = new String(letter.toJson(), StandardCharsets.UTF_8);
        assertThat(json).doesNotContain(SECRET);
        assertThat(letter.original()).contains("\"POSTGRES_PASSWORD\":\"******\"").contains("\"API_TOKEN\":\"******\"")
                .contains("echo ******").contains("\"MODE\":\"x\"");
        assertThat(letter.message()).isEqualTo("bad value '******'");
    }
}
