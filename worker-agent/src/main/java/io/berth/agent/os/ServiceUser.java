package io.berth.agent.os;

/** A resolved system user a service runs as. */
public record ServiceUser(String name, int uid, int gid) {
    public boolean isRoot() {
        return uid == 0;
    }
}
