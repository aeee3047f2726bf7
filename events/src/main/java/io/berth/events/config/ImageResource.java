package io.berth.events.config;

import java.util.Map;

/** Concourse-style image resource, e.g. {@code {type: registry-image, source: {repository: postgres}}}. */
public record ImageResource(String type, Map<String, Object> source) {
    public ImageResource {
        source = source == null ? Map.of() : Map.copyOf(source);
    }
}
