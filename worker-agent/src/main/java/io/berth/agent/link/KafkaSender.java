package io.berth.agent.link;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Sends the agent's records from a thread of its own. {@code producer.send} blocks while it has no metadata for
 * the topic or its buffer is full — up to {@code max.block.ms} — so calling it on a Vert.x event loop would stall the
 * loop that serves the orchestrator link's heartbeats when the broker is away. One thread keeps the records in the
 * order they were handed over.
 *
 * <p>A record is sent until Kafka acknowledges it: an attempt that fails with an error a retry can cure — its
 * delivery timed out (the broker away; or, after a broker restart, a batch the idempotent producer kept retrying
 * that the broker could no longer tell from a gap in its sequence), or the topic's metadata could not be had within
 * {@code max.block.ms} — is made again after {@link #RETRY_PAUSE}, with the same record (a copy that lands after all
 * is the same CloudEvent, which consumers drop). So a broker that is away delays the agent's events and never loses
 * them; only an error no retry cures (a record too large, a denied topic), the sender's close, or
 * {@link #MAX_UNACKNOWLEDGED} records already waiting (a broker away for long: memory stays bounded) fails a send.
 */
public final class KafkaSender implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KafkaSender.class.getName());
    /** Records handed over and not acknowledged yet; past this, a send fails at once instead of piling up. */
    static final int MAX_UNACKNOWLEDGED = 10_000;
    /** Pause before a record whose attempt failed is sent again. */
    static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

    private final Producer<String, byte[]> producer;
    private final ThreadPoolExecutor thread;
    private final Executor afterPause;
    private final AtomicInteger unacknowledged = new AtomicInteger();

    public KafkaSender(Producer<String, byte[]> producer, String name) {
        this.producer = producer;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        this.afterPause = CompletableFuture.delayedExecutor(RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Hands the record over without waiting; completes (on the producer's thread) when Kafka acknowledged it. */
    public Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        if (unacknowledged.incrementAndGet() > MAX_UNACKNOWLEDGED) {
            unacknowledged.decrementAndGet();
            return Future.failedFuture(new TimeoutException(MAX_UNACKNOWLEDGED
                    + " records wait for Kafka's acknowledgement (is the broker away?)"));
        }
        Promise<RecordMetadata> done = Promise.promise();
        attempt(record, done, 1);
        return done.future().andThen(ar -> unacknowledged.decrementAndGet());
    }

    private void attempt(ProducerRecord<String, byte[]> record, Promise<RecordMetadata> done, int attempt) {
        try {
            thread.execute(() -> {
                try {
                    producer.send(record, (metadata, error) -> {
                        if (error == null) {
                            done.complete(metadata);
                        } else {
                            failed(record, done, attempt, error);
                        }
                    });
                } catch (RuntimeException e) {
                    failed(record, done, attempt, e);
                }
            });
        } catch (RejectedExecutionException e) { // closed
            done.fail(new IllegalStateException("the Kafka sender is closed"));
        }
    }

    private void failed(ProducerRecord<String, byte[]> record, Promise<RecordMetadata> done, int attempt,
                        Throwable error) {
        if (!(error instanceof RetriableException) || thread.isShutdown()) {
            done.fail(error);
            return;
        }
        LOG.log(attempt == 1 ? Level.WARNING : Level.DEBUG, "a record for {0} (key {1}) was not acknowledged "
                + "(attempt {2}: {3}); sending it again in {4} ms", record.topic(), record.key(), attempt,
                error.getMessage(), RETRY_PAUSE.toMillis());
        afterPause.execute(() -> attempt(record, done, attempt + 1));
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
