package net.ipop.dataplane.ipc;

import net.ipop.ipc.IpcIdle;
import net.ipop.ipc.IpcStreams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.IdleStrategy;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;

/**
 * The data plane's embedded Aeron media driver, and the Aeron client the data plane talks through.
 *
 * <p>The driver runs all its duties on one thread ({@link ThreadingMode#SHARED}) with an idle strategy that
 * parks rather than spins (2 cores are shared with the packet path). Its directory, by default
 * {@code /dev/shm/ipop-<interface>}, is created fresh on start, owner-only (mode 0700, its CnC file 0600),
 * and deleted on {@link #close()}; a directory where a live driver still runs is refused rather than
 * clobbered. After a {@code kill -9} the directory stays behind: the next start on the same interface deletes
 * it, once the dead driver's heartbeat is older than {@link #DRIVER_TIMEOUT_MS} (before that the start is
 * refused as if the driver were still running).
 *
 * <p>Threading: {@link #launch} and {@link #close()} from one thread; {@link #aeron()} is thread-safe.
 */
public final class DataPlaneDriver implements AutoCloseable {
    /** IPC term length: 64 KiB is Aeron's minimum; 1 MiB holds a burst of large InjectPackets. */
    public static final int IPC_TERM_LENGTH = 1 << 20;
    /**
     * Aeron's own counters (per publication, subscription and client: a few dozen here), at the driver's
     * minimum. Its default sizes them for thousands, and the CnC file, which it writes in full, then holds
     * ~47 MiB of resident memory.
     */
    static final int COUNTER_VALUES_LENGTH = 1 << 20;
    /** How long the driver and its client wait for each other before declaring the other dead. */
    public static final long DRIVER_TIMEOUT_MS = 10_000;
    /** umask 077: no permission bits for group and others. */
    private static final int OWNER_ONLY_MASK = 0077;

    /**
     * Aeron's default client error handler exits the JVM on a driver timeout; the data plane must rather keep
     * its packet path running and let its owner decide, so errors are only reported.
     */
    private static final ErrorHandler NO_EXIT = Throwable::printStackTrace;

    private final Path directory;
    private final MediaDriver driver;
    private final Aeron aeron;

    private DataPlaneDriver(Path directory, MediaDriver driver, Aeron aeron) {
        this.directory = directory;
        this.driver = driver;
        this.aeron = aeron;
    }

    /** The default directory for an interface: {@code /dev/shm/ipop-<interfaceName>}. */
    public static Path defaultDirectory(String interfaceName) {
        if (interfaceName.isEmpty() || interfaceName.indexOf('/') >= 0 || interfaceName.startsWith(".")) {
            throw new IllegalArgumentException("not an interface name: '" + interfaceName + "'");
        }
        return Path.of("/dev/shm", "ipop-" + interfaceName);
    }

    /** The idle strategy of the driver's shared thread unless told otherwise: {@link IpcIdle#agent()}. */
    public static IdleStrategy defaultIdleStrategy() {
        return IpcIdle.agent();
    }

    /** Launches with {@link #defaultIdleStrategy()}. */
    public static DataPlaneDriver launch(Path directory) {
        return launch(directory, defaultIdleStrategy());
    }

    /**
     * Starts the driver in {@code directory} and connects a client to it.
     *
     * @param sharedIdleStrategy how the driver's one thread waits when idle; should not busy-spin on 2 cores
     * @throws IllegalStateException if a live driver already runs in {@code directory}
     * @throws UncheckedIOException  if the directory cannot be made owner-only
     */
    public static DataPlaneDriver launch(Path directory, IdleStrategy sharedIdleStrategy) {
        Path dir = directory.toAbsolutePath();
        if (CommonContext.isDriverActive(dir.toFile(), DRIVER_TIMEOUT_MS, message -> { })) {
            throw new IllegalStateException("a data plane is already running at " + dir);
        }
        MediaDriver.Context context = new MediaDriver.Context()
                .aeronDirectoryName(dir.toString())
                .threadingMode(ThreadingMode.SHARED)
                // Its one task is resolving names for network channels; IPC has none, and the executor's
                // thread woke ~1,000 times a second for nothing.
                .asyncExecutorEnabled(false)
                .sharedIdleStrategy(sharedIdleStrategy)
                .ipcTermBufferLength(IPC_TERM_LENGTH)
                .counterValuesBufferLength(COUNTER_VALUES_LENGTH)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .warnIfDirectoryExists(false)
                .termBufferSparseFile(true);
        context.driverTimeoutMs(DRIVER_TIMEOUT_MS);
        // The driver creates its directory and CnC file while launching: with this mask they are born
        // owner-only, with no window in which another user could open them.
        int previousMask = Umask.set(OWNER_ONLY_MASK);
        MediaDriver driver;
        try {
            driver = MediaDriver.launch(context);
        } finally {
            Umask.set(previousMask);
        }
        Aeron aeron = null;
        try {
            ownerOnly(dir);
            aeron = Aeron.connect(new Aeron.Context()
                    .aeronDirectoryName(dir.toString())
                    .driverTimeoutMs(DRIVER_TIMEOUT_MS)
                    .clientName("ipop-dataplane")
                    .errorHandler(NO_EXIT));
            return new DataPlaneDriver(dir, driver, aeron);
        } catch (RuntimeException e) {
            if (aeron != null) {
                aeron.close();
            }
            driver.close();
            throw e;
        }
    }

    /**
     * Restricts the directory to its owner, again: files the driver creates later (log buffers) get the
     * process's usual umask, so the directory's missing search permission is what keeps others out of them.
     */
    private static void ownerOnly(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + dir + " owner-only", e);
        }
    }

    /** The driver's directory, absolute. */
    public Path directory() {
        return directory;
    }

    /** The client connected to this driver; closed by {@link #close()}. */
    public Aeron aeron() {
        return aeron;
    }

    /** Subscribes to commands; the caller closes it (or {@link #close()} does). */
    public Subscription addCommandSubscription() {
        return aeron.addSubscription(IpcStreams.CHANNEL, IpcStreams.COMMAND_STREAM_ID);
    }

    /** Publishes events; thread-safe, so several {@link EventProxy}s may share it. */
    public Publication addEventPublication() {
        return aeron.addPublication(IpcStreams.CHANNEL, IpcStreams.EVENT_STREAM_ID);
    }

    /** Closes the client (and with it its publications and subscriptions), then the driver, deleting the directory. */
    @Override
    public void close() {
        try {
            aeron.close();
        } finally {
            driver.close();
        }
    }
}
