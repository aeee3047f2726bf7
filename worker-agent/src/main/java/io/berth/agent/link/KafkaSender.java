package io.berth.agent.link;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Sends the agent's records from a thread of its own. {@code producer.send} blocks while it has no metadata for
 * the topic or its buffer is full — up to {@code max.block.ms} — so calling it on a Vert.x event loop would stall the
 * loop that serves the orchestrator link's heartbeats when the broker is away. One thread keeps the records in the
 * order they were handed over; the queue is bounded, and a record that finds it full fails at once (as a Kafka
 * timeout, so callers treat it like any other send that could not be made).
 */
public final class KafkaSender implements AutoCloseable {
    /** Records waiting for the send thread; past this, sends fail instead of piling up while the broker is away. */
    static final int MAX_QUEUED = 10_000;

    private final Producer<String, byte[]> producer;
    private final ThreadPoolExecutor thread;

    public KafkaSender(Producer<String, byte[]> producer, String name) {
        this.producer = producer;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_QUEUED),
                r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Hands the record over without waiting; completes (on the producer's thread) when Kafka acknowledged it. */
    public Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        Promise<RecordMetadata> done = Promise.promise();
        try {
            thread.execute(() -> {
                try {
                    producer.send(record, (metadata, error) -> {
                        if (error != null) {
                            done.fail(error);
                        } else {
                            done.complete(metadata);
                        }
                    });
                } catch (RuntimeException e) {
                    done.fail(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.fail(new TimeoutException("more than " + MAX_QUEUED
                    + " records wait to be sent (is the broker away?), or the sender is closed"));
        }
        return done.future();
    }

    /** Sends what was handed over (waiting at most {@code timeout}), then closes the producer. Blocking. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    public void close(Duration timeout) {
        thread.shutdown();
        try {
            thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
        producer.close(timeout);
    }
}
