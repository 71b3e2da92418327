package net.ipop.control.status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** Asks a node's {@link StatusServer} one question: what the CLI's status verbs use. */
public final class StatusClient {
    /** An answer longer than this is refused (a node with thousands of peers stays far below). */
    static final int MAX_ANSWER_BYTES = 16 << 20;

    private StatusClient() {
    }

    /**
     * Sends {@code request} (one line, no newline) to the socket at {@code socket} and returns the answer line.
     *
     * @throws java.net.ConnectException         if nothing listens on it (a node that died left it)
     * @throws SocketTimeoutException               if the whole exchange took longer than {@code timeout}
     * @throws IOException                          for other failures (permission: the socket is root's, 0600)
     */
    public static String ask(Path socket, String request, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // A Unix socket connects at once or fails at once: there is no handshake to wait for.
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            try (Selector selector = Selector.open()) {
                SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
                ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
                ByteBuffer in = ByteBuffer.allocate(64 * 1024);
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                while (true) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new SocketTimeoutException("no answer from " + socket + " within "
                                + timeout.toMillis() + " ms");
                    }
                    selector.select(Math.max(1, left / 1_000_000));
                    selector.selectedKeys().clear();
                    if (out.hasRemaining()) {
                        channel.write(out);
                        if (!out.hasRemaining()) {
                            key.interestOps(SelectionKey.OP_READ);
                        }
                        continue;
                    }
                    int n = channel.read(in);
                    if (n > 0) {
                        in.flip();
                        for (int i = in.position(); i < in.limit(); i++) {
                            byte b = in.get(i);
                            if (b == '\n') {
                                answer.write(in.array(), in.position(), i - in.position());
                                return answer.toString(StandardCharsets.UTF_8);
                            }
                        }
                        answer.write(in.array(), in.position(), in.remaining());
                        in.clear();
                        if (answer.size() > MAX_ANSWER_BYTES) {
                            throw new IOException("the answer from " + socket + " is longer than "
                                    + MAX_ANSWER_BYTES + " bytes");
                        }
                    } else if (n < 0) {
                        throw new IOException(socket + " closed the connection without an answer");
                    }
                }
            }
        }
    }
}
