package io.berth.events.validation;

/** A 1-based line and column in a source text. */
public record Position(int line, int column) {}
