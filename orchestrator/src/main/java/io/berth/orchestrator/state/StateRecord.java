package io.berth.orchestrator.state;

/**
 * A task's snapshot as the value of its {@code berth.orchestrator-state} record, never larger than
 * {@link #MAX_BYTES}: a record the producer refuses ({@code RecordTooLargeException}) would keep its input from ever
 * being committed. The door bounds a task's request ({@code EventTranslator.MAX_TASK_EVENT_BYTES}), so what can still
 * grow is the services' log tails; they are left out of a snapshot that would be too large (the restored task then
 * shows none). A snapshot too large even without them is refused with {@link TooLargeException}, which the ingress
 * dead-letters as a processing error.
 */
public final class StateRecord {
    /** Below Kafka's default {@code max.request.size} and {@code message.max.bytes} (1 MiB) with room to spare. */
    public static final int MAX_BYTES = 768 * 1024;

    private StateRecord() {}

    public static byte[] encode(TaskSnapshot snapshot) {
        byte[] json = snapshot.toJson();
        if (json.length <= MAX_BYTES) {
            return json;
        }
        byte[] withoutTails = withoutLogTails(snapshot).toJson();
        if (withoutTails.length <= MAX_BYTES) {
            return withoutTails;
        }
        throw new TooLargeException("the state of task " + snapshot.taskId() + " takes " + withoutTails.length
                + " bytes, more than a state record may (" + MAX_BYTES + ")");
    }

    private static TaskSnapshot withoutLogTails(TaskSnapshot s) {
        var services = s.services() == null ? java.util.List.<TaskSnapshot.Service>of() : s.services().stream()
                .map(v -> new TaskSnapshot.Service(v.name(), v.status(), v.probeAttempts(), v.ready(), v.stopped(),
                        v.exitCode(), v.failureReason(), java.util.List.<String>of(), v.exitedAtMillis()))
                .toList();
        return new TaskSnapshot(s.taskId(), s.phase(), s.request(), s.worker(), s.generation(), s.endedOutcome(),
                s.failure(), s.acceptedAtMillis(), s.updatedAtMillis(), s.seen(), services);
    }

    /** The snapshot cannot be made small enough. */
    public static final class TooLargeException extends IllegalStateException {
        public TooLargeException(String message) {
            super(message);
        }
    }
}
