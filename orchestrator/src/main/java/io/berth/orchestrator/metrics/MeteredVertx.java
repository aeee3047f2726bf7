package io.berth.orchestrator.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

/**
 * A Vert.x whose own metrics (event loops, HTTP and gRPC servers, pools) go to Berth's registry. It never resolves
 * files from the class path (Berth serves none), so it makes no {@code vertx-cache-*} directory, which a killed
 * process would leave in the temporary directory.
 */
public final class MeteredVertx {
    public static Vertx create(MeterRegistry registry) {
        return Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true))
                        .setFileSystemOptions(new FileSystemOptions().setClassPathResolvingEnabled(false)
                                .setFileCachingEnabled(false)))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
    }

    private MeteredVertx() {}
}
