package io.berth.events.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One var of a step's {@code across:} (Concourse's across step): the step runs once per value, with
 * {@code ((.:NAME))} standing for it.
 *
 * @param name        the var, referred to as {@code ((.:name))}
 * @param values      its values, in order, as written (a number stays a number)
 * @param maxInFlight how many of its values run at once (Concourse's default 1; {@code all}: every value)
 * @param failFast    whether a failing run stops the runs not finished yet
 */
public record AcrossVar(String name, List<JsonNode> values, int maxInFlight, boolean failFast) {
    public AcrossVar {
        values = List.copyOf(values);
    }
}
