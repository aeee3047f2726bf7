package io.berth.events;

import io.berth.events.payload.SvcVariables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code .svc} var source: resolves {@code ((.svc:NAME.address))}, {@code .host}, {@code .port},
 * {@code .addresses.PORT} and {@code .ports.PORT} in a text, from the variables of the task's ready
 * services. Other variables ({@code ((password))}, {@code ((.:version))}, {@code ((vault:x))}) are
 * left for the CI platform.
 */
public final class SvcVars {
    /** {@code ((.svc:VAR))}, blanks allowed inside the parentheses as in Concourse. */
    private static final Pattern VARIABLE = Pattern.compile("\\(\\(\\s*(\\.svc:[^()\\s]*)\\s*\\)\\)");
    private static final String FIELDS = "address, host, port, addresses.PORT, ports.PORT";

    private SvcVars() {}

    /**
     * {@code text} with every {@code .svc} variable replaced.
     *
     * @param services service name → its variables
     * @throws IllegalArgumentException naming every variable that does not resolve (unknown service,
     *                                  field or port)
     */
    public static String interpolate(String text, Map<String, SvcVariables> services) {
        Matcher matcher = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        List<String> problems = new ArrayList<>();
        while (matcher.find()) {
            String variable = matcher.group(1);
            String value;
            try {
                value = resolve(variable.substring(".svc:".length()), services);
            } catch (IllegalArgumentException e) {
                problems.add("((" + variable + ")): " + e.getMessage());
                value = matcher.group();
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return out.toString();
    }

    /** Every value of {@code params} interpolated, e.g. a task step's params; all problems reported at once. */
    public static Map<String, String> interpolate(Map<String, String> params, Map<String, SvcVariables> services) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        params.forEach((name, value) -> {
            try {
                out.put(name, value == null ? null : interpolate(value, services));
            } catch (IllegalArgumentException e) {
                problems.add(name + ": " + e.getMessage());
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return out;
    }

    /** The {@code .svc} variables {@code text} refers to, as written ({@code .svc:postgres.address}), once each, in order. */
    public static List<String> references(String text) {
        Set<String> found = new LinkedHashSet<>();
        Matcher matcher = VARIABLE.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return List.copyOf(found);
    }

    /** The service names {@code text} refers to through {@code .svc} variables. */
    public static Set<String> referencedServices(String text) {
        Set<String> names = new TreeSet<>();
        for (String variable : references(text)) {
            String path = variable.substring(".svc:".length());
            int dot = path.indexOf('.');
            names.add(dot < 0 ? path : path.substring(0, dot));
        }
        return names;
    }

    private static String resolve(String path, Map<String, SvcVariables> services) {
        int dot = path.indexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException("expected ((.svc:SERVICE.FIELD)) with FIELD one of " + FIELDS);
        }
        String name = path.substring(0, dot);
        String field = path.substring(dot + 1);
        SvcVariables vars = services.get(name);
        if (vars == null) {
            throw new IllegalArgumentException("no service '" + name + "' (the task has "
                    + (services.isEmpty() ? "no services" : "services: " + String.join(", ", new TreeSet<>(services.keySet()))) + ")");
        }
        switch (field) {
            case "address":
                return required(vars.address(), name);
            case "host":
                return vars.host();
            case "port":
                return String.valueOf(required(vars.port(), name));
            default:
                break;
        }
        if (field.startsWith("addresses.")) {
            return named(vars.addresses(), field.substring("addresses.".length()), name);
        }
        if (field.startsWith("ports.")) {
            return String.valueOf(named(vars.ports(), field.substring("ports.".length()), name));
        }
        throw new IllegalArgumentException("unknown field '" + field + "' (known: " + FIELDS + ")");
    }

    private static <T> T required(T value, String service) {
        if (value == null) {
            throw new IllegalArgumentException("service '" + service
                    + "' has no port named 'default' nor a single port; use addresses.PORT or ports.PORT");
        }
        return value;
    }

    private static <T> T named(Map<String, T> byPort, String port, String service) {
        T value = byPort.get(port);
        if (value == null) {
            throw new IllegalArgumentException("service '" + service + "' has no port '" + port + "' (ports: "
                    + (byPort.isEmpty() ? "none" : String.join(", ", new TreeSet<>(byPort.keySet()))) + ")");
        }
        return value;
    }
}
