/**
 * How Berth validates documents and points at the offending spot: JSON Schemas from the classpath,
 * JSON paths, and source positions (line/column) of JSON and YAML text. Used by the event codec and
 * the config parsers; other modules rarely need it directly.
 */
package io.berth.events.validation;
