package io.berth.events.config;

import java.util.Map;

/**
 * One entry of a task's {@code services:} list: a name plus either an inline {@code config} or a
 * {@code file} (read on the worker), with optional {@code image} and extra {@code params}
 * overriding the config's.
 */
public record ServiceRequest(String name, String file, ServiceConfig config, String image, Map<String, Object> params) {
    public ServiceRequest {
        params = params == null ? Map.of() : Map.copyOf(params);
    }
}
