package io.berth.agent.runtime;

import io.vertx.core.json.Json;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A service's environment: clean (nothing of the agent's leaks in), the config's {@code params},
 * and Berth's own variables, which params cannot override.
 */
public final class ServiceEnvironment {
    public static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private ServiceEnvironment() {}

    public static Map<String, String> build(String taskId, String service, Path serviceDir, String userName,
                                            Map<String, Object> params) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        env.put("HOME", serviceDir.toString());
        if (userName != null) {
            env.put("USER", userName);
            env.put("LOGNAME", userName);
        }
        params.forEach((key, value) -> {
            if (!NAME.matcher(key).matches()) {
                throw new IllegalArgumentException("param '" + key + "' is not a valid environment variable name");
            }
            env.put(key, stringify(value));
        });
        env.put("BERTH_SERVICE_DIR", serviceDir.toString());
        env.put("BERTH_TASK_ID", taskId);
        env.put("BERTH_SERVICE_NAME", service);
        return env;
    }

    /** Scalars as written (5432, true, 1.5); lists and maps as JSON; null as empty. */
    static String stringify(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Number || value instanceof Boolean || value instanceof Character) {
            return value.toString();
        }
        return Json.encode(value);
    }
}
