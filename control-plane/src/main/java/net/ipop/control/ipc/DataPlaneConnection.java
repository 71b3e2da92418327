package net.ipop.control.ipc;

import net.ipop.ipc.Offers;
import net.ipop.ipc.IpcStreams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

import org.agrona.concurrent.BackoffIdleStrategy;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.DriverTimeoutException;

/**
 * The control plane's link to a running data plane: an Aeron client connected to the data plane's embedded
 * driver, the command publication and the event subscription.
 *
 * <p>{@link #connect} fails with a {@link DataPlaneUnavailableException} saying so when no live driver runs in
 * the directory, or nothing reads commands there. Once connected, {@link #call} sends one command and waits for
 * its CommandResult; an agent instead sends through {@link #commands()} and polls with {@link #pollEvents}.
 * When the data plane dies (even by {@code kill -9}) calls fail with a message saying it stopped, once its
 * driver heartbeat is older than the driver timeout.
 *
 * <p>Threading: one thread uses a connection; {@link #close()} from that thread.
 */
public final class DataPlaneConnection implements AutoCloseable {
    /** How long a stopped driver's heartbeat may be silent before it is declared dead, unless told otherwise. */
    public static final Duration DEFAULT_DRIVER_TIMEOUT = Duration.ofSeconds(10);

    private final Path directory;
    private final long driverTimeoutMs;
    private final Aeron aeron;
    private final Publication commandPublication;
    private final Subscription events;
    private final CommandProxy commands;
    private final ReplyWaiter waiter;
    private volatile Throwable clientFailure;
    private EventAdapter pollAdapter;
    private FragmentAssembler pollAssembler;
    private EventListener pollListener;

    private DataPlaneConnection(Path directory, long driverTimeoutMs) {
        this.directory = directory;
        this.driverTimeoutMs = driverTimeoutMs;
        this.aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(directory.toString())
                .driverTimeoutMs(driverTimeoutMs)
                .clientName("ipop-control")
                // Aeron's default handler exits the JVM on a driver timeout; record it and fail calls instead.
                .errorHandler(this::onClientError));
        try {
            this.commandPublication = aeron.addPublication(IpcStreams.CHANNEL, IpcStreams.COMMAND_STREAM_ID);
            this.events = aeron.addSubscription(IpcStreams.CHANNEL, IpcStreams.EVENT_STREAM_ID);
            this.commands = new CommandProxy(commandPublication, aeron::nextCorrelationId,
                    CommandProxy.DEFAULT_MAX_RETRIES, CommandProxy.DEFAULT_BACK_PRESSURE_BUDGET);
            this.waiter = new ReplyWaiter(events, new BackoffIdleStrategy(10, 20,
                    TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1)));
        } catch (RuntimeException e) {
            aeron.close();
            throw e;
        }
    }

    /** The data plane's default directory for an interface: {@code /dev/shm/ipop-<interfaceName>}. */
    public static Path defaultDirectory(String interfaceName) {
        if (interfaceName.isEmpty() || interfaceName.indexOf('/') >= 0 || interfaceName.startsWith(".")) {
            throw new IllegalArgumentException("not an interface name: '" + interfaceName + "'");
        }
        return Path.of("/dev/shm", "ipop-" + interfaceName);
    }

    /** Connects with {@link #DEFAULT_DRIVER_TIMEOUT}. */
    public static DataPlaneConnection connect(Path directory) {
        return connect(directory, DEFAULT_DRIVER_TIMEOUT);
    }

    /**
     * Connects to the data plane whose driver runs in {@code directory} and waits (at most
     * {@code driverTimeout}) until it reads commands.
     *
     * @throws DataPlaneUnavailableException if no live driver runs there, or nothing reads commands in time
     */
    public static DataPlaneConnection connect(Path directory, Duration driverTimeout) {
        Path dir = directory.toAbsolutePath();
        long timeoutMs = driverTimeout.toMillis();
        if (Files.isDirectory(dir) && !Files.isExecutable(dir)) {
            throw new DataPlaneUnavailableException("the data plane at " + dir
                    + " belongs to another user (its directory is owner-only); run as that user");
        }
        if (!CommonContext.isDriverActive(dir.toFile(), timeoutMs, message -> { })) {
            throw new DataPlaneUnavailableException("no data plane at " + dir + "; is `ipop up` running?");
        }
        DataPlaneConnection connection;
        try {
            connection = new DataPlaneConnection(dir, timeoutMs);
        } catch (RuntimeException e) {
            throw new DataPlaneUnavailableException("cannot connect to the data plane at " + dir + ": " + e, e);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!connection.commandPublication.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                connection.close();
                throw new DataPlaneUnavailableException("the data plane at " + dir + " runs but reads no commands"
                        + " (nothing subscribed to stream " + IpcStreams.COMMAND_STREAM_ID + " within " + timeoutMs
                        + " ms)");
            }
            sleepMillis(1);
        }
        return connection;
    }

    /**
     * Sends one command and waits for its CommandResult.
     *
     * @param send    sends the command through the given proxy and returns its correlation id, e.g.
     *                {@code proxy -> proxy.removePeer(7)}
     * @param timeout how long to wait for the answer
     * @param others  receives every other event meanwhile (e.g. a QueryState's PeerStates); may be null
     * @return the data plane's answer, whatever its result
     * @throws DataPlaneUnavailableException if the command could not be sent or was not answered in time; the
     *                                       message says why (data plane stopped, not reading, too slow)
     */
    public Reply call(ToLongFunction<CommandProxy> send, Duration timeout, EventListener others) {
        long correlationId = send.applyAsLong(commands);
        if (correlationId == CommandProxy.NOT_SENT) {
            throw new DataPlaneUnavailableException(stoppedOr("could not send a command to the data plane at "
                    + directory + ": " + Offers.describe(commands.lastFailure())));
        }
        Reply reply = waiter.await(correlationId, timeout.toNanos(), others);
        if (reply == null) {
            throw new DataPlaneUnavailableException(stoppedOr("the data plane at " + directory
                    + " did not answer command " + correlationId + " within " + timeout.toMillis() + " ms"));
        }
        return reply;
    }

    /** {@link #call(ToLongFunction, Duration, EventListener)} ignoring other events. */
    public Reply call(ToLongFunction<CommandProxy> send, Duration timeout) {
        return call(send, timeout, null);
    }

    /** Sends without waiting; answers arrive through {@link #pollEvents}. */
    public CommandProxy commands() {
        return commands;
    }

    /**
     * Polls at most {@code fragmentLimit} fragments of the event stream into {@code listener}, for a duty
     * cycle; returns the work count. Allocates only when the listener changes between calls.
     */
    public int pollEvents(EventListener listener, int fragmentLimit) {
        if (listener != pollListener) {
            pollListener = listener;
            pollAdapter = new EventAdapter(listener);
            pollAssembler = new FragmentAssembler(pollAdapter);
        }
        return events.poll(pollAssembler, fragmentLimit);
    }

    /**
     * Whether the data plane's driver is alive: its heartbeat is younger than the driver timeout and this
     * client has not timed out on it. Reads the driver's CnC file; for slow paths.
     */
    public boolean isDataPlaneAlive() {
        return !(clientFailure instanceof DriverTimeoutException) && !aeron.isClosed()
                && CommonContext.isDriverActive(directory.toFile(), driverTimeoutMs, message -> { });
    }

    /** The data plane's directory, absolute. */
    public Path directory() {
        return directory;
    }

    /** The last error Aeron's client reported, or null. */
    public Throwable clientFailure() {
        return clientFailure;
    }

    @Override
    public void close() {
        aeron.close();
    }

    private String stoppedOr(String message) {
        if (isDataPlaneAlive()) {
            return message;
        }
        return "the data plane at " + directory + " stopped (its driver has been silent for more than "
                + driverTimeoutMs + " ms); is `ipop up` still running? (" + message + ")";
    }

    private void onClientError(Throwable error) {
        clientFailure = error;
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataPlaneUnavailableException("interrupted while connecting to the data plane", e);
        }
    }
}
