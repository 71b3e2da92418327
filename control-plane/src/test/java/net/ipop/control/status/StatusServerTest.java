package net.ipop.control.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The status socket with a real Unix socket in a temporary directory, and what it answers. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // servers opened only to be closed at the end of the block
class StatusServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private static NodeSnapshot snapshot(long nowMs) {
        return new NodeSnapshot("alpha", "ipop0", List.of("192.0.2.1/24"), "A=", "0.0.0.0:51820",
                List.of(new PeerSnapshot(1, "beta", "B=", List.of("192.0.2.2/32"), "198.51.100.2:51820",
                        PeerPath.DIRECT, null, nowMs - 3_000, 1_500, nowMs - 2_000),
                        new PeerSnapshot(2, "gamma", "C=", List.of("192.0.2.3/32"), null, PeerPath.NONE, null,
                                PeerSnapshot.NEVER, PeerSnapshot.NOT_MEASURED, PeerSnapshot.NEVER)),
                nowMs);
    }

    @Test
    void theSocketIsOwnerOnlyAnswersStatusAndIsRemovedOnClose() throws IOException {
        StatusBoard board = new StatusBoard();
        StatusService service = new StatusService(board, dir.resolve("absent.counters"));
        long now = System.currentTimeMillis();
        Path socket = StatusServer.socketFile(dir, "ipop0");
        try (StatusServer server = StatusServer.start(socket, r -> service.answer(r, now))) {
            assertEquals(socket, server.path());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals(List.of(socket), list(dir), "the temporary name was renamed into place");

            Map<?, ?> starting = (Map<?, ?>) JsonText.parse(StatusClient.ask(socket, "{\"request\":\"status\"}",
                    TIMEOUT));
            assertTrue(String.valueOf(starting.get("error")).startsWith("the node is starting"), starting.toString());

            board.accept(snapshot(now));
            Map<?, ?> doc = (Map<?, ?>) JsonText.parse(StatusClient.ask(socket, "{\"request\":\"status\"}",
                    TIMEOUT));
            assertEquals(1L, doc.get("version"));
            Map<?, ?> node = (Map<?, ?>) doc.get("node");
            assertEquals("alpha", node.get("name"));
            assertEquals("ipop0", node.get("interface"));
            assertEquals(ProcessHandle.current().pid(), node.get("pid"));
            assertNull(node.get("dataPlane"), "no counters file: no data plane");
            List<?> peers = (List<?>) doc.get("peers");
            Map<?, ?> beta = (Map<?, ?>) peers.get(0);
            assertEquals("beta", beta.get("name"));
            assertEquals(List.of("192.0.2.2/32"), beta.get("allowedAddresses"));
            assertEquals("direct", beta.get("path"));
            assertEquals(1.5, beta.get("rttMs"));
            assertEquals(3_000L, beta.get("lastHandshakeAgeMs"));
            assertEquals(2_000L, beta.get("sessionAgeMs"));
            assertNull(beta.get("txBytes"), "no counters file: traffic unknown");
            Map<?, ?> gamma = (Map<?, ?>) peers.get(1);
            assertEquals("none", gamma.get("path"));
            assertNull(gamma.get("lastHandshake"));
            assertNull(gamma.get("rttMs"));

            Map<?, ?> bad = (Map<?, ?>) JsonText.parse(StatusClient.ask(socket, "status please", TIMEOUT));
            assertTrue(String.valueOf(bad.get("error")).contains("send {\"request\":\"status\"}"), bad.toString());
            Map<?, ?> unknown = (Map<?, ?>) JsonText.parse(StatusClient.ask(socket, "{\"request\":\"reboot\"}",
                    TIMEOUT));
            assertEquals("unknown request; send {\"request\":\"status\"}", unknown.get("error"));
        }
        assertFalse(Files.exists(socket), "the socket is removed on close");
        assertEquals(List.of(), list(dir));
    }

    @Test
    void aClientThatSendsNothingDoesNotHoldUpOthersAndIsDropped() throws Exception {
        Path socket = StatusServer.socketFile(dir, "ipop1");
        try (StatusServer server = StatusServer.start(socket, r -> "echo " + r);
                SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            silent.connect(UnixDomainSocketAddress.of(socket));
            // Served while the silent client is still connected.
            assertEquals("echo hello", StatusClient.ask(socket, "hello", TIMEOUT));
            // The server closes the silent one after its timeout: the read sees end of stream.
            long start = System.nanoTime();
            assertEquals(-1, silent.read(ByteBuffer.allocate(16)));
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs < StatusServer.CLIENT_TIMEOUT_MS * 5, "dropped after " + waitedMs + " ms");
        }
    }

    @Test
    void aRequestLongerThanTheLimitIsDroppedWithoutAnAnswer() throws Exception {
        Path socket = StatusServer.socketFile(dir, "ipop2");
        try (StatusServer server = StatusServer.start(socket, r -> "answer");
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            c.write(ByteBuffer.wrap("x".repeat(StatusServer.MAX_REQUEST_BYTES).getBytes(StandardCharsets.US_ASCII)));
            assertEquals(-1, c.read(ByteBuffer.allocate(16)));
            assertEquals("answer", StatusClient.ask(socket, "ok", TIMEOUT), "the server goes on");
        }
    }

    @Test
    void aSocketLeftByADeadNodeRefusesConnections() throws IOException {
        Path socket = StatusServer.socketFile(dir, "ipop3");
        try (var left = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            left.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        assertThrows(ConnectException.class, () -> StatusClient.ask(socket, "x", TIMEOUT));
        // A new node replaces it.
        try (StatusServer server = StatusServer.start(socket, r -> "new")) {
            assertEquals("new", StatusClient.ask(socket, "x", TIMEOUT));
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
