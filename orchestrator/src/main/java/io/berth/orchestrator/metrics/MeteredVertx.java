package io.berth.orchestrator.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.nio.file.Path;

/** A Vert.x whose own metrics (event loops, HTTP and gRPC servers, pools) go to Berth's registry. */
public final class MeteredVertx {
    public static Vertx create(MeterRegistry registry) {
        return create(registry, null);
    }

    /**
     * @param fileCacheDir where Vert.x keeps the class-path files it resolves (the admin API's contract), or null for
     *                     the system's temporary directory; a process killed before it closed Vert.x leaves its
     *                     {@code vertx-cache-*} directory there
     */
    public static Vertx create(MeterRegistry registry, Path fileCacheDir) {
        VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true));
        if (fileCacheDir != null) {
            options.setFileSystemOptions(new FileSystemOptions().setFileCacheDir(fileCacheDir.toString()));
        }
        return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry)).build();
    }

    private MeteredVertx() {}
}
