package net.ipop.ipc.counters;

/** What a reader can tell about the process that writes a counters file. */
public enum Liveness {
    /** The writer's process exists and its heartbeat is recent: the values are live. */
    ALIVE,
    /** The process exists but has missed several heartbeats: it hangs, or its pid was reused. */
    NOT_RESPONDING,
    /** No such process: the writer crashed or was killed; the values are the last it wrote. */
    EXITED;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
