package net.ipop.ipc.counters;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads a counters file while its writer runs: checks the header, judges whether the writer is
 * alive, and sums the counters into a {@link CountersSnapshot}. Reusable by every reader ({@code ipop
 * stats}, {@code ipop status}, a metrics endpoint): open once, call {@link #snapshot(long)} as often
 * as needed, and reopen when {@link #isReplaced()} says a restarted writer put a new file in place.
 *
 * <p>The file is mapped read-only; the channel is closed at once and the mapping is released by the
 * garbage collector, so there is nothing to close. Not thread-safe: one reader per thread (they are
 * cheap). A snapshot allocates; it is a slow-path operation.
 */
public final class CountersFileReader {
    private final Path path;
    private final Object fileKey;
    private final AtomicBuffer header;
    private final CountersReader counters;

    private CountersFileReader(Path path, Object fileKey, AtomicBuffer header, CountersReader counters) {
        this.path = path;
        this.fileKey = fileKey;
        this.header = header;
        this.counters = counters;
    }

    /**
     * Maps {@code path} read-only and checks magic, layout version and lengths.
     *
     * @throws NoSuchFileException       if there is no such file
     * @throws CountersFormatException  if it is not a counters file of this layout version; the
     *                                   message names the file, what was found and what to do
     * @throws IOException               if it cannot be read (permissions: the file is owner-only)
     */
    public static CountersFileReader open(Path path) throws IOException {
        MappedByteBuffer mapped;
        Object key;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            long size = channel.size();
            if (size < CountersLayout.HEADER_LENGTH) {
                throw new CountersFormatException(path + ": " + size + " bytes is too short for a counters file"
                        + " (the header alone is " + CountersLayout.HEADER_LENGTH + " bytes)");
            }
            if (size > Integer.MAX_VALUE) {
                throw new CountersFormatException(path + ": " + size + " bytes is too large for a counters file");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        int size = mapped.capacity();
        UnsafeBuffer header = new UnsafeBuffer(mapped, 0, CountersLayout.HEADER_LENGTH);
        byte[] magic = new byte[CountersLayout.MAGIC.length()];
        header.getBytes(CountersLayout.MAGIC_OFFSET, magic);
        String found = new String(magic, StandardCharsets.ISO_8859_1);
        if (!CountersLayout.MAGIC.equals(found)) {
            throw new CountersFormatException(path + ": not an IPOP counters file (it starts with "
                    + printable(found) + ", not " + CountersLayout.MAGIC + ")");
        }
        int version = header.getInt(CountersLayout.VERSION_OFFSET);
        if (version != CountersLayout.VERSION) {
            throw new CountersFormatException(path + ": counters layout version " + version + ", but this ipop reads"
                    + " version " + CountersLayout.VERSION + "; use the ipop of the same release as the data plane");
        }
        int headerLength = header.getInt(CountersLayout.HEADER_LENGTH_OFFSET);
        int metadataLength = header.getInt(CountersLayout.METADATA_LENGTH_OFFSET);
        int valuesLength = header.getInt(CountersLayout.VALUES_LENGTH_OFFSET);
        if (headerLength != CountersLayout.HEADER_LENGTH || valuesLength <= 0
                || valuesLength % CountersReader.COUNTER_LENGTH != 0
                || (long) metadataLength != (long) valuesLength / CountersReader.COUNTER_LENGTH * CountersReader.METADATA_LENGTH
                || (long) headerLength + metadataLength + valuesLength > size) {
            throw new CountersFormatException(path + ": inconsistent lengths (header " + headerLength + ", metadata "
                    + metadataLength + ", values " + valuesLength + ", file " + size + "); the file is damaged");
        }
        UnsafeBuffer metadata = new UnsafeBuffer(mapped, headerLength, metadataLength);
        UnsafeBuffer values = new UnsafeBuffer(mapped, headerLength + metadataLength, valuesLength);
        return new CountersFileReader(path, key, header, new CountersReader(metadata, values));
    }

    /**
     * The counters files in {@code dir} ({@code *.counters}, sorted), or an empty list if the
     * directory does not exist.
     */
    public static List<Path> find(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + CountersLayout.FILE_SUFFIX)) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    found.add(p);
                }
            }
        }
        Collections.sort(found);
        return found;
    }

    public Path path() {
        return path;
    }

    /**
     * Whether the file at {@link #path()} is no longer the one this reader maps: deleted by a clean
     * shutdown or replaced by a restarted writer. A long-lived reader then opens it again.
     */
    public boolean isReplaced() {
        try {
            return !Objects.equals(fileKey, Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * The header now and the verdict on the writer: {@link Liveness#ALIVE} if its process exists and
     * the heartbeat is younger than three intervals plus a second; {@link Liveness#NOT_RESPONDING} if
     * the process exists but the heartbeat is older (or the process started after the file, which
     * means the pid was reused); {@link Liveness#EXITED} if there is no such process.
     *
     * <p>Pids are those of the reader's pid namespace: read the file from the writer's namespace.
     *
     * @param nowMs epoch ms
     */
    public WriterStatus writerStatus(long nowMs) {
        long pid = header.getLong(CountersLayout.PID_OFFSET);
        long start = header.getLong(CountersLayout.START_TIME_MS_OFFSET);
        long beat = header.getLongAcquire(CountersLayout.HEARTBEAT_MS_OFFSET);
        int interval = header.getInt(CountersLayout.HEARTBEAT_INTERVAL_MS_OFFSET);
        int queues = header.getInt(CountersLayout.QUEUES_OFFSET);
        Liveness liveness;
        Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (process.isEmpty() || !process.get().isAlive()) {
            liveness = Liveness.EXITED;
        } else if (nowMs - beat > 3L * interval + 1000 || startedAfter(process.get(), start)) {
            liveness = Liveness.NOT_RESPONDING;
        } else {
            liveness = Liveness.ALIVE;
        }
        return new WriterStatus(pid, start, beat, interval, queues, liveness, nowMs);
    }

    /** A process that started well after the file was created cannot be its writer. */
    private static boolean startedAfter(ProcessHandle process, long fileStartMs) {
        Optional<Instant> started = process.info().startInstant();
        return started.isPresent() && started.get().toEpochMilli() > fileStartMs + 2000;
    }

    /**
     * Reads every allocated counter and sums per peer (traffic and drops by reason), per drop reason and per
     * global counter over the pipelines. Counters of unknown type or code (a newer writer) are skipped.
     *
     * @param nowMs epoch ms, for the writer verdict
     */
    public CountersSnapshot snapshot(long nowMs) {
        WriterStatus writer = writerStatus(nowMs);
        Map<Long, long[]> peerValues = new TreeMap<>();
        Map<Long, long[]> peerDrops = new TreeMap<>();
        Map<Long, String> names = new TreeMap<>();
        long[] drops = new long[DropReason.values().length];
        long[] globals = new long[GlobalCounter.values().length];
        AtomicBuffer meta = counters.metaDataBuffer();
        for (int id = 0, max = counters.maxCounterId(); id <= max; id++) {
            int state = counters.getCounterState(id);
            if (state == CountersReader.RECORD_UNUSED) {
                break; // Agrona allocates ids in order: nothing beyond the first never-used record.
            }
            if (state != CountersReader.RECORD_ALLOCATED) {
                continue;
            }
            int type = counters.getCounterTypeId(id);
            int keyOffset = CountersReader.metaDataOffset(id) + CountersReader.KEY_OFFSET;
            long keyId = CountersLayout.keyId(meta, keyOffset);
            long value = counters.getCounterValue(id);
            switch (type) {
                case CountersLayout.PEER_TX_BYTES, CountersLayout.PEER_TX_PACKETS, CountersLayout.PEER_RX_BYTES,
                        CountersLayout.PEER_RX_PACKETS -> {
                    peerValues.computeIfAbsent(keyId, k -> new long[4])[type - CountersLayout.PEER_TX_BYTES] += value;
                    names.putIfAbsent(keyId, CountersLayout.keyName(meta, keyOffset));
                }
                case CountersLayout.PEER_DROPS -> {
                    DropReason r = DropReason.ofCode(CountersLayout.keyReason(meta, keyOffset));
                    if (r != null) {
                        peerDrops.computeIfAbsent(keyId, k -> new long[DropReason.values().length])[r.ordinal()] += value;
                        peerValues.computeIfAbsent(keyId, k -> new long[4]);
                        names.putIfAbsent(keyId, CountersLayout.keyName(meta, keyOffset));
                    }
                }
                case CountersLayout.DROP -> {
                    DropReason r = keyId == (int) keyId ? DropReason.ofCode((int) keyId) : null;
                    if (r != null) {
                        drops[r.ordinal()] += value;
                    }
                }
                case CountersLayout.GLOBAL -> {
                    GlobalCounter g = keyId == (int) keyId ? GlobalCounter.ofCode((int) keyId) : null;
                    if (g != null) {
                        globals[g.ordinal()] += value;
                    }
                }
                default -> {
                    // A counter type this reader does not know: skip it.
                }
            }
        }
        List<PeerTotals> peers = new ArrayList<>(peerValues.size());
        for (Map.Entry<Long, long[]> e : peerValues.entrySet()) {
            long[] v = e.getValue();
            Map<DropReason, Long> dropsOfPeer = new EnumMap<>(DropReason.class);
            long[] d = peerDrops.get(e.getKey());
            if (d != null) {
                for (DropReason r : DropReason.values()) {
                    if (d[r.ordinal()] != 0) {
                        dropsOfPeer.put(r, d[r.ordinal()]);
                    }
                }
            }
            peers.add(new PeerTotals(e.getKey(), names.get(e.getKey()), v[0], v[1], v[2], v[3], dropsOfPeer));
        }
        Map<DropReason, Long> dropMap = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            dropMap.put(r, drops[r.ordinal()]);
        }
        Map<GlobalCounter, Long> globalMap = new EnumMap<>(GlobalCounter.class);
        for (GlobalCounter g : GlobalCounter.values()) {
            globalMap.put(g, globals[g.ordinal()]);
        }
        return new CountersSnapshot(path, writer, List.copyOf(peers), Collections.unmodifiableMap(dropMap),
                Collections.unmodifiableMap(globalMap));
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return sb.append('"').toString();
    }
}
