package io.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** Shared pieces of the admin API views: error reporting and cell formatting. */
final class Views {
    private Views() {}

    interface Body {
        int run() throws Exception;
    }

    /** Runs a view; an API error is printed as {@code berth: MESSAGE} with exit code 1 (4 when unreachable). */
    static int run(CommandSpec spec, Body body) {
        try {
            return body.run();
        } catch (ApiClient.ApiException e) {
            spec.commandLine().getErr().println("berth: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return e.status == 0 ? ExitCodes.BERTH_ERROR : ExitCodes.INVALID;
        } catch (Exception e) {
            spec.commandLine().getErr().println("berth: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return ExitCodes.BERTH_ERROR;
        }
    }

    static String join(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out.isEmpty() ? null : String.join(",", out);
    }

    /** "3s ago", "5m ago", …; the input is an ISO-8601 instant. */
    static String ago(String instant) {
        if (instant == null) {
            return null;
        }
        try {
            long s = Math.max(0, Duration.between(Instant.parse(instant), Instant.now()).toSeconds());
            return s < 120 ? s + "s ago" : s < 7200 ? (s / 60) + "m ago" : (s / 3600) + "h ago";
        } catch (RuntimeException e) {
            return instant;
        }
    }

    static String shorten(String text, int max) {
        if (text == null) {
            return null;
        }
        String one = text.replace('\n', ' ');
        return one.length() <= max ? one : one.substring(0, max - 1) + "…";
    }
}
