package io.berth.agent.runtime.container;

import io.berth.events.config.ImageResource;
import io.berth.events.config.ServiceConfig;

import java.util.Set;

/**
 * Which image a service runs: the top-level {@code image:} as written, or an {@code image_resource} of type
 * {@code registry-image} as {@code repository:tag} (tag {@code latest} when left out, {@code repository@digest}
 * when a digest is given).
 */
public final class ImageRef {
    static final Set<String> REGISTRY_TYPES = Set.of("registry-image", "docker-image");

    private ImageRef() {}

    /** The image reference of a container service's config; {@link IllegalArgumentException} says what is wrong. */
    public static String of(ServiceConfig config) {
        if (config.image() != null) {
            String image = config.image().strip();
            if (image.isEmpty() || image.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("image '" + config.image() + "' is not an image reference");
            }
            return image;
        }
        ImageResource resource = config.imageResource();
        if (resource == null) {
            throw new IllegalArgumentException("no image: set image or image_resource");
        }
        if (!REGISTRY_TYPES.contains(resource.type())) {
            throw new IllegalArgumentException("image_resource type '" + resource.type()
                    + "' is not supported; use registry-image");
        }
        Object repository = resource.source().get("repository");
        if (!(repository instanceof String repo) || repo.isBlank()) {
            throw new IllegalArgumentException("image_resource.source.repository is missing");
        }
        Object digest = resource.source().get("digest");
        if (digest != null) {
            return repo.strip() + "@" + digest;
        }
        Object tag = resource.source().get("tag");
        return repo.strip() + ":" + (tag == null || tag.toString().isBlank() ? "latest" : tag.toString().strip());
    }

    /** An image name and its tag (null when the reference pins a digest). */
    record Parts(String name, String tag) {}

    /** {@code postgres:15} → (postgres, 15); {@code localhost:5000/pg} → (localhost:5000/pg, latest). */
    static Parts split(String ref) {
        if (ref.contains("@")) {
            return new Parts(ref, null);
        }
        int slash = ref.lastIndexOf('/');
        int colon = ref.lastIndexOf(':');
        return colon > slash ? new Parts(ref.substring(0, colon), ref.substring(colon + 1)) : new Parts(ref, "latest");
    }
}
