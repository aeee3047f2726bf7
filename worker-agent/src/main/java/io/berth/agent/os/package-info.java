/**
 * The Linux plumbing the agent needs and Java lacks: running short commands, signalling process groups,
 * reading listening ports and process groups from {@code /proc}, looking users up, and the
 * {@code nsenter}/{@code setsid}/{@code setpriv} command line that confines a service.
 */
package io.berth.agent.os;
