package io.berth.events.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * Concourse-style image resource, e.g. {@code {type: registry-image, source: {repository: postgres}}}.
 *
 * @param source written with its nested nulls, as it was given
 */
public record ImageResource(String type, @JsonInclude(content = JsonInclude.Include.ALWAYS) Map<String, Object> source) {
    public ImageResource {
        source = source == null ? Map.of() : Map.copyOf(source);
    }
}
