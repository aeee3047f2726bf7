/**
 * Prototype-based services (the Concourse prototype protocol): {@code PrototypeRuntime} finds the
 * {@code Prototype} bundle named by {@code type:}, asks it {@code info} ({@code PrototypeInfo}), then sends the
 * service's message (default {@code up}) through a {@code MessageCommand}, whose process is the service;
 * {@code PrototypeServiceProcess} sends {@code down} before the service is signalled. Requests and responses pass
 * through {@code MessageFiles}, which a prototype can write but never redirect.
 */
package io.berth.agent.runtime.prototype;
