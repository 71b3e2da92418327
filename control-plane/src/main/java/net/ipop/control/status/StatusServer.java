package net.ipop.control.status;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.function.UnaryOperator;

/**
 * The node's local control socket: a Unix domain stream socket ({@code /run/ipop/<interface>.sock}, mode 0600, so
 * only its owner, root, may connect). A client sends one request line and gets one answer line, then the server
 * closes the connection.
 *
 * <p>Threading: one platform thread of its own ({@code ipop-status}) runs a selector over the listening socket and
 * its clients, all non-blocking; the answer comes from a handler called on that thread. A client that sends
 * nothing, sends too much or does not read is dropped after {@link #CLIENT_TIMEOUT_MS}, and costs the node
 * thread nothing.
 *
 * <p>The socket is bound under a temporary name, set to 0600 and then renamed into place, so it is never
 * reachable under its name with the umask's mode. {@link #close()} stops the thread and removes the socket.
 */
public final class StatusServer implements AutoCloseable {
    /** A request longer than this is refused: the requests are a few dozen bytes. */
    static final int MAX_REQUEST_BYTES = 4096;
    /** How long a client may take to send its request and read the answer. */
    static final long CLIENT_TIMEOUT_MS = 2_000;
    private static final long SELECT_MS = 250;

    private final Path path;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final UnaryOperator<String> handler;
    private final Thread thread;
    private volatile boolean running = true;

    /** One client's progress: its request so far, then its answer. */
    private static final class Client {
        final long deadlineMs;
        final ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST_BYTES);
        ByteBuffer out;

        Client(long deadlineMs) {
            this.deadlineMs = deadlineMs;
        }
    }

    private StatusServer(Path path, ServerSocketChannel server, Selector selector, UnaryOperator<String> handler) {
        this.path = path;
        this.server = server;
        this.selector = selector;
        this.handler = handler;
        this.thread = new Thread(this::serve, "ipop-status");
        this.thread.setDaemon(true);
    }

    /** {@code <runDirectory>/<interface>.sock}. */
    public static Path socketFile(Path runDirectory, String iface) {
        return runDirectory.resolve(iface + ".sock");
    }

    /**
     * Binds {@code path} (replacing a socket a dead node left there) and starts serving: each request line (UTF-8,
     * without its newline) is passed to {@code handler} on the server's thread, and its result is the answer.
     *
     * @throws IOException if the socket cannot be bound or its mode set; nothing is left behind then
     */
    public static StatusServer start(Path path, UnaryOperator<String> handler) throws IOException {
        Path temp = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.deleteIfExists(temp);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = null;
        try {
            server.bind(UnixDomainSocketAddress.of(temp));
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            try {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            server.close();
            if (selector != null) {
                selector.close();
            }
            Files.deleteIfExists(temp);
            throw e;
        }
        StatusServer s = new StatusServer(path, server, selector, handler);
        s.thread.start();
        return s;
    }

    /** Where it listens. */
    public Path path() {
        return path;
    }

    private void serve() {
        while (running) {
            try {
                // With no client to time out, sleep until one connects (close() wakes the selector).
                selector.select(selector.keys().size() > 1 ? SELECT_MS : 0);
                long now = System.currentTimeMillis();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept(now);
                    } else {
                        step(key);
                    }
                }
                for (SelectionKey key : selector.keys()) {
                    if (key.attachment() instanceof Client c && now - c.deadlineMs > 0) {
                        drop(key);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // A client's failure is handled in step(); this is accept or select failing (out of file
                // descriptors, say): the server goes on until close(), pausing so as not to spin on the error.
                if (!running) {
                    return;
                }
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(SELECT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void accept(long now) throws IOException {
        SocketChannel c = server.accept();
        if (c != null) {
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ, new Client(now + CLIENT_TIMEOUT_MS));
        }
    }

    /** Reads the request or writes the answer, as far as the socket allows now. */
    private void step(SelectionKey key) {
        Client client = (Client) key.attachment();
        SocketChannel channel = (SocketChannel) key.channel();
        try {
            if (client.out == null) {
                int n = channel.read(client.in);
                int end = newline(client.in);
                if (end < 0) {
                    if (n < 0 || !client.in.hasRemaining()) {
                        drop(key);
                    }
                    return;
                }
                String request = new String(client.in.array(), 0, end, StandardCharsets.UTF_8);
                client.out = ByteBuffer.wrap((handler.apply(request) + "\n").getBytes(StandardCharsets.UTF_8));
                key.interestOps(SelectionKey.OP_WRITE);
            }
            channel.write(client.out);
            if (!client.out.hasRemaining()) {
                drop(key);
            }
        } catch (IOException | RuntimeException e) {
            drop(key);
        }
    }

    private static int newline(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 0; i < in.position(); i++) {
            if (a[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static void drop(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException e) {
            // Closing a client socket that failed: nothing more to do.
        }
    }

    /** Stops the thread (waiting for it), closes every connection and removes the socket. */
    @Override
    public void close() throws IOException {
        running = false;
        selector.wakeup();
        try {
            thread.join(SELECT_MS * 8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
            server.close();
        } finally {
            Files.deleteIfExists(path);
        }
    }
}
