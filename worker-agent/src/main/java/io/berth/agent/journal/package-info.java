/**
 * What the agent started, journalled per task, so that after an agent crash the next agent on the same
 * state directory reaps the orphans ({@code Reaper}) instead of leaving them running.
 */
package io.berth.agent.journal;
