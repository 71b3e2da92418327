package net.ipop.ipc.counters;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A counters file mapped for writing, as {@link CountersLayout} describes: the writer's half of the
 * contract. The data plane builds its Agrona {@code CountersManager} over {@link #metadataBuffer()}
 * and {@link #valuesBuffer()}.
 *
 * <p>Creation never exposes a half-written file: the file is created owner-only (mode 0600) under a
 * temporary name in the same directory, sized with real blocks (so a full tmpfs fails here, as an
 * {@link IOException}, not later as a SIGBUS on the packet path), its header written, and then
 * renamed over {@code path} in one step. A file left by a crashed writer is thereby replaced
 * atomically; a reader that still maps the old one sees its heartbeat go stale.
 *
 * <p>Threading: {@link #heartbeat(long)} and {@link #close()} belong to one thread (the conductor).
 * The buffers may be written by any thread that owns the counter it writes.
 *
 * <p>The mapping is never unmapped explicitly: it is released by the garbage collector once the
 * buffers are unreachable, so a pipeline that counts a packet after {@link #close()} writes into the
 * deleted file instead of crashing the JVM on an unmapped page.
 */
public final class CountersFile implements AutoCloseable {
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");

    private final Path path;
    private final UnsafeBuffer header;
    private final UnsafeBuffer metadata;
    private final UnsafeBuffer values;
    private final Object fileKey;
    private final int heartbeatIntervalMs;
    private long lastHeartbeatMs;
    private boolean closed;

    private CountersFile(Path path, MappedByteBuffer mapped, int maxCounters, int heartbeatIntervalMs, Object fileKey,
            long nowMs) {
        this.path = path;
        this.header = new UnsafeBuffer(mapped, 0, CountersLayout.HEADER_LENGTH);
        int metadataLength = CountersLayout.metadataLength(maxCounters);
        this.metadata = new UnsafeBuffer(mapped, CountersLayout.HEADER_LENGTH, metadataLength);
        this.values = new UnsafeBuffer(mapped, CountersLayout.HEADER_LENGTH + metadataLength,
                CountersLayout.valuesLength(maxCounters));
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.fileKey = fileKey;
        this.lastHeartbeatMs = nowMs;
    }

    /**
     * Creates (or atomically replaces) the counters file at {@code path}, creating its directory if
     * needed.
     *
     * @param maxCounters          room for this many counters
     * @param queues               pipelines that write counters, recorded for readers
     * @param heartbeatIntervalMs  how often the writer will call {@link #heartbeat(long)}
     * @param nowMs                epoch ms, the start time and first heartbeat
     * @throws IOException if the directory or file cannot be made (the temporary file is removed)
     */
    public static CountersFile create(Path path, int maxCounters, int queues, int heartbeatIntervalMs, long nowMs)
            throws IOException {
        if (maxCounters <= 0 || queues <= 0 || heartbeatIntervalMs <= 0) {
            throw new IllegalArgumentException("maxCounters, queues and heartbeatIntervalMs must be positive: "
                    + maxCounters + ", " + queues + ", " + heartbeatIntervalMs);
        }
        Path target = path.toAbsolutePath();
        Path dir = Objects.requireNonNull(target.getParent(), "a counters file needs a directory");
        Files.createDirectories(dir);
        long pid = ProcessHandle.current().pid();
        Path tmp = dir.resolve("." + target.getFileName() + "." + pid + ".tmp");
        Files.deleteIfExists(tmp);
        int length = CountersLayout.fileLength(maxCounters);
        boolean moved = false;
        try {
            // The attribute is filtered by the umask, which can only take bits away; setting the
            // permissions again makes the mode exactly 0600 whatever the umask.
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
            Files.setPosixFilePermissions(tmp, OWNER_READ_WRITE);
            MappedByteBuffer mapped;
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                IoUtil.fill(channel, 0, length, (byte) 0);
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
            }
            UnsafeBuffer h = new UnsafeBuffer(mapped, 0, CountersLayout.HEADER_LENGTH);
            h.putInt(CountersLayout.HEADER_LENGTH_OFFSET, CountersLayout.HEADER_LENGTH);
            h.putLong(CountersLayout.PID_OFFSET, pid);
            h.putLong(CountersLayout.START_TIME_MS_OFFSET, nowMs);
            h.putLong(CountersLayout.HEARTBEAT_MS_OFFSET, nowMs);
            h.putInt(CountersLayout.HEARTBEAT_INTERVAL_MS_OFFSET, heartbeatIntervalMs);
            h.putInt(CountersLayout.METADATA_LENGTH_OFFSET, CountersLayout.metadataLength(maxCounters));
            h.putInt(CountersLayout.VALUES_LENGTH_OFFSET, CountersLayout.valuesLength(maxCounters));
            h.putInt(CountersLayout.QUEUES_OFFSET, queues);
            h.putInt(CountersLayout.VERSION_OFFSET, CountersLayout.VERSION);
            // Magic last: whatever sees the magic sees a complete header.
            h.putBytes(CountersLayout.MAGIC_OFFSET, CountersLayout.MAGIC.getBytes(StandardCharsets.US_ASCII));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + tmp + " over " + target + " atomically: " + e.getMessage(), e);
            }
            moved = true;
            Object key = Files.readAttributes(target, BasicFileAttributes.class).fileKey();
            return new CountersFile(target, mapped, maxCounters, heartbeatIntervalMs, key, nowMs);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    public Path path() {
        return path;
    }

    /** The Agrona counters metadata region; written by the conductor's CountersManager only. */
    public AtomicBuffer metadataBuffer() {
        return metadata;
    }

    /** The Agrona counters values region; each counter written by its single owning thread. */
    public AtomicBuffer valuesBuffer() {
        return values;
    }

    public int heartbeatIntervalMs() {
        return heartbeatIntervalMs;
    }

    /**
     * Stores {@code nowMs} as the heartbeat if an interval has passed since the last one; call it
     * from the conductor's duty cycle. Allocation-free. Returns 1 if it stored, else 0 (a work count).
     */
    public int heartbeat(long nowMs) {
        if (closed || nowMs - lastHeartbeatMs < heartbeatIntervalMs) {
            return 0;
        }
        lastHeartbeatMs = nowMs;
        // Release: a reader that sees this beat sees every counter allocation made before it.
        header.putLongRelease(CountersLayout.HEARTBEAT_MS_OFFSET, nowMs);
        return 1;
    }

    /**
     * Deletes the file if it is still the one this writer created (a newer writer may have replaced
     * it, and its file is not ours to delete). Idempotent. Counting into the buffers after this is
     * harmless but invisible.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (Objects.equals(current, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // Already gone: someone cleaned up /run, nothing to delete.
        }
    }
}
