package net.ipop.ipc.counters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * The layout of a counters file: the contract between the data plane that writes it and every
 * reader ({@code ipop stats}, later {@code ipop status} and the metrics endpoint).
 *
 * <pre>
 * +----------------------+ 0
 * | header (128 bytes)   |   magic "IPOPCNT1", layout version, writer pid, start and heartbeat times
 * +----------------------+ HEADER_LENGTH
 * | counters metadata    |   Agrona CountersManager metadata: METADATA_LENGTH (512) bytes per counter
 * +----------------------+ HEADER_LENGTH + metadataLength
 * | counters values      |   Agrona counter values: COUNTER_LENGTH (128) bytes per counter
 * +----------------------+
 * </pre>
 *
 * <p>All numbers are little-endian (Agrona's native order on the platforms IPOP runs on). Times are
 * milliseconds since the Unix epoch. The header is 128 bytes so that the heartbeat, which the
 * writer's conductor stores, never shares a cache line with a value a pipeline stores.
 *
 * <p>Counter types ({@code typeId}) and their keys; every counter belongs to one pipeline (TUN
 * queue) and readers sum over pipelines:
 * <ul>
 *   <li>{@link #PEER_TX_BYTES}, {@link #PEER_TX_PACKETS}, {@link #PEER_RX_BYTES},
 *       {@link #PEER_RX_PACKETS}: key = queue, peer id, peer name; the label repeats them in words.
 *   <li>{@link #PEER_DROPS}: key = queue, {@link DropReason#code()} at {@link #KEY_REASON_OFFSET}, peer id,
 *       peer name: the packets of one peer dropped for one reason (version 2).
 *   <li>{@link #DROP}: key = queue, {@link DropReason#code()}; every drop, whether its peer was known or not.
 *   <li>{@link #GLOBAL}: key = queue, {@link GlobalCounter#code()}.
 * </ul>
 * Key layout: queue (int) at {@link #KEY_QUEUE_OFFSET}, reason code (int, peer drops only) at
 * {@link #KEY_REASON_OFFSET}, id (long) at {@link #KEY_ID_OFFSET},
 * name length (int) at {@link #KEY_NAME_LENGTH_OFFSET}, name (UTF-8) at {@link #KEY_NAME_OFFSET}.
 * Readers skip type ids and codes they do not know, so a writer may add counters without a new
 * layout version; anything else changes {@link #VERSION}.
 */
public final class CountersLayout {
    /** The first 8 bytes of every counters file, ASCII. */
    public static final String MAGIC = "IPOPCNT1";
    /**
     * The layout version this code writes and reads; readers refuse any other. Version 2 added the per-peer
     * drop counters and the reason field of their key: a version 1 reader would silently show no per-peer
     * drops, so the two refuse each other's files instead of showing partial numbers.
     */
    public static final int VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    /** Writer process id (long). */
    public static final int PID_OFFSET = 16;
    /** When the writer created the file (long, epoch ms). */
    public static final int START_TIME_MS_OFFSET = 24;
    /** Last heartbeat (long, epoch ms), stored with release semantics about once per interval. */
    public static final int HEARTBEAT_MS_OFFSET = 32;
    /** How often the writer promises to beat (int, ms); readers call it stale after a few missed beats. */
    public static final int HEARTBEAT_INTERVAL_MS_OFFSET = 40;
    public static final int METADATA_LENGTH_OFFSET = 44;
    public static final int VALUES_LENGTH_OFFSET = 48;
    /** Number of pipelines (TUN queues) that write counters (int). */
    public static final int QUEUES_OFFSET = 52;
    public static final int HEADER_LENGTH = 128;

    public static final int PEER_TX_BYTES = 101;
    public static final int PEER_TX_PACKETS = 102;
    public static final int PEER_RX_BYTES = 103;
    public static final int PEER_RX_PACKETS = 104;
    /** Since version 2: one peer's drops for one reason. */
    public static final int PEER_DROPS = 105;
    public static final int DROP = 201;
    public static final int GLOBAL = 301;

    public static final int KEY_QUEUE_OFFSET = 0;
    public static final int KEY_REASON_OFFSET = 4;
    public static final int KEY_ID_OFFSET = 8;
    public static final int KEY_NAME_LENGTH_OFFSET = 16;
    public static final int KEY_NAME_OFFSET = 20;
    /** The longest peer name the key holds, in UTF-8 bytes; longer names are cut. */
    public static final int MAX_NAME_BYTES = CountersReader.MAX_KEY_LENGTH - KEY_NAME_OFFSET;

    /** Where a data plane puts its counters file, one per interface: {@code /run/ipop/<interface>.counters}. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/run/ipop");
    public static final String FILE_SUFFIX = ".counters";

    private CountersLayout() {
    }

    public static int metadataLength(int maxCounters) {
        return Math.multiplyExact(maxCounters, CountersReader.METADATA_LENGTH);
    }

    public static int valuesLength(int maxCounters) {
        return Math.multiplyExact(maxCounters, CountersReader.COUNTER_LENGTH);
    }

    /** Total file length for room for {@code maxCounters} counters. */
    public static int fileLength(int maxCounters) {
        return Math.addExact(HEADER_LENGTH, Math.addExact(metadataLength(maxCounters), valuesLength(maxCounters)));
    }

    /** Writes a drop or global key: {@code queue}, {@code code}, no name. Slow path. */
    public static int putKey(MutableDirectBuffer key, int queue, long id) {
        return putKey(key, queue, id, "");
    }

    /** Writes a key into a counter's key buffer; returns its length. Slow path: encodes the name. */
    public static int putKey(MutableDirectBuffer key, int queue, long id, String name) {
        key.putInt(KEY_QUEUE_OFFSET, queue);
        key.putInt(KEY_REASON_OFFSET, 0);
        key.putLong(KEY_ID_OFFSET, id);
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(utf8.length, MAX_NAME_BYTES);
        key.putInt(KEY_NAME_LENGTH_OFFSET, length);
        key.putBytes(KEY_NAME_OFFSET, utf8, 0, length);
        return KEY_NAME_OFFSET + length;
    }

    /** Writes a peer drop key: {@code queue}, the reason's code, the peer's id and name. Slow path. */
    public static int putPeerDropKey(MutableDirectBuffer key, int queue, DropReason reason, long peerId, String name) {
        int length = putKey(key, queue, peerId, name);
        key.putInt(KEY_REASON_OFFSET, reason.code());
        return length;
    }

    /** The reason code of a {@link #PEER_DROPS} key. */
    public static int keyReason(DirectBuffer key, int keyOffset) {
        return key.getInt(keyOffset + KEY_REASON_OFFSET);
    }

    public static int keyQueue(DirectBuffer key, int keyOffset) {
        return key.getInt(keyOffset + KEY_QUEUE_OFFSET);
    }

    public static long keyId(DirectBuffer key, int keyOffset) {
        return key.getLong(keyOffset + KEY_ID_OFFSET);
    }

    /** The peer name in a key; a cut multi-byte character decodes as a replacement character. */
    public static String keyName(DirectBuffer key, int keyOffset) {
        int length = key.getInt(keyOffset + KEY_NAME_LENGTH_OFFSET);
        if (length <= 0 || length > MAX_NAME_BYTES) {
            return "";
        }
        byte[] utf8 = new byte[length];
        key.getBytes(keyOffset + KEY_NAME_OFFSET, utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
