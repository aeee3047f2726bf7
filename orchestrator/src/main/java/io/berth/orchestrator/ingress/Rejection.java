package io.berth.orchestrator.ingress;

import io.berth.events.Envelope;
import io.berth.events.validation.ValidationError;
import java.util.List;

/**
 * Why an input record is refused: a {@link DeadLetter.Reason reason}, a message, the validation
 * errors, and what is known of the event (null when it could not be read).
 */
public record Rejection(DeadLetter.Reason reason, String message, List<ValidationError> errors, String eventType,
                        String eventId, String eventSource) {
    public Rejection {
        errors = errors == null ? List.of() : List.copyOf(errors);
    }

    static Rejection of(DeadLetter.Reason reason, String message) {
        return new Rejection(reason, message, List.of(), null, null, null);
    }

    static Rejection of(DeadLetter.Reason reason, String message, List<ValidationError> errors) {
        return new Rejection(reason, message, errors, null, null, null);
    }

    static Rejection of(DeadLetter.Reason reason, String message, Envelope about) {
        return new Rejection(reason, message, List.of(), about.type(), about.id(), about.source());
    }

    static Rejection of(DeadLetter.Reason reason, String message, List<ValidationError> errors, Envelope about) {
        return new Rejection(reason, message, errors, about.type(), about.id(), about.source());
    }
}
