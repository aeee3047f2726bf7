package io.berth.events.config;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which service {@code params} are secrets, and masking their values in what Berth shows operators (the admin
 * API, service logs it returns). A param is secret when its name contains PASSWORD, PASSWD, SECRET, TOKEN, KEY,
 * CREDENTIAL or PRIVATE (any case), e.g. {@code POSTGRES_PASSWORD}, {@code API_TOKEN}, {@code AWS_SECRET_ACCESS_KEY}.
 *
 * <pre>{@code
 * Set<String> values = Secrets.values(config.params());       // {"s3cr3t"}
 * Secrets.mask("password=s3cr3t accepted", values);           // "password=****** accepted"
 * Secrets.maskParams(config.params());                        // {POSTGRES_PASSWORD=******, PGDATA=/data}
 * }</pre>
 *
 * Values shorter than {@link #MIN_MASKED_LENGTH} characters are masked in params but not searched for in text:
 * masking every "1" of a log would make it unreadable and tell the value anyway.
 */
public final class Secrets {
    /** What a secret is replaced with. */
    public static final String MASK = "******";
    /** Shorter values are not searched for in text. */
    public static final int MIN_MASKED_LENGTH = 4;

    private static final Pattern SECRET_NAME =
            Pattern.compile(".*(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE).*", Pattern.CASE_INSENSITIVE);

    private Secrets() {}

    /** True when a param of this name holds a secret. */
    public static boolean isSecretName(String name) {
        return name != null && SECRET_NAME.matcher(name).matches();
    }

    /** The values of the secret params (as the service sees them in its environment), longest first. */
    public static Set<String> values(Map<String, ?> params) {
        Set<String> out = new TreeSet<>((a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b));
        if (params == null) {
            return out;
        }
        params.forEach((name, value) -> {
            if (isSecretName(name) && value != null) {
                String text = String.valueOf(value);
                if (!text.isEmpty()) {
                    out.add(text);
                }
            }
        });
        return out;
    }

    /** {@code params} with the value of every secret one replaced by {@link #MASK}; order kept. */
    public static Map<String, Object> maskParams(Map<String, ?> params) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (params != null) {
            params.forEach((name, value) -> out.put(name, isSecretName(name) && value != null ? MASK : value));
        }
        return out;
    }

    /** {@code text} with every occurrence of each value (at least {@link #MIN_MASKED_LENGTH} long) masked. */
    public static String mask(String text, Collection<String> values) {
        if (text == null || text.isEmpty() || values == null || values.isEmpty()) {
            return text;
        }
        String out = text;
        for (String value : values) {
            if (value != null && value.length() >= MIN_MASKED_LENGTH && out.contains(value)) {
                out = out.replace(value, MASK);
            }
        }
        return out;
    }
}
