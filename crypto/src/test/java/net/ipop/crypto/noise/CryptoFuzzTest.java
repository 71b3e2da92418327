package net.ipop.crypto.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;

import com.code_intelligence.jazzer.junit.FuzzTest;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketOpener;
import net.ipop.crypto.aead.PacketSealer;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.MembershipResult;
import net.ipop.crypto.cert.MembershipVerifier;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.Pem;
import net.ipop.crypto.cert.PrivateKeyFiles;
import net.ipop.crypto.cert.RevocationList;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.crypto.primitives.Blake2s;

/**
 * Fuzz targets for every crypto parser that sees bytes from the network or from a user's files:
 * transport messages (the {@link PacketOpener} on any ciphertext), handshake initiation, response
 * and cookie reply messages ({@link Handshaker#consume}), node and CA certificates and revocation
 * lists (DER and PEM), the membership check, and private key files.
 *
 * <p>Structure-aware where a check would stop random bytes at the door: the harness can recompute
 * mac1 for the receiver, and can start from a genuine message, certificate or list and XOR the
 * input into it. Properties: only the documented exceptions ({@link CertificateFormatException},
 * {@link IllegalArgumentException} for key text, {@link IOException} for files), nothing accepted
 * that differs from a genuine message in an authenticated byte, and certificates that parse survive
 * a DER and PEM round trip unchanged. See docs/reliability.md, "Fuzzing".
 */
class CryptoFuzzTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final List<IpPrefix> OVERLAY = List.of(IpPrefix.parse("192.0.2.0/24"),
            IpPrefix.parse("2001:db8:1::/64"));

    private static final byte[] KEY = new byte[32];
    private static final int INDEX = 0x0A0B0C0D;
    private static final PacketSealer[] SEALERS = new PacketSealer[2];
    private static final PacketOpener[] OPENERS = new PacketOpener[2];

    private static final FakeClock CLOCK = new FakeClock();
    private static final NoiseKeyPair ALICE_KEYS = NoiseKeyPair.generate(RANDOM);
    private static final NoiseKeyPair BOB_KEYS = NoiseKeyPair.generate(RANDOM);
    private static final Handshaker[] ALICE = new Handshaker[2];
    private static final Handshaker[] BOB = new Handshaker[2];
    private static final PeerHandshake[] BOB_AT_ALICE = new PeerHandshake[2];
    private static final Blake2s.Mac MAC1_TO_ALICE = mac1Key(ALICE_KEYS);
    private static final Blake2s.Mac MAC1_TO_BOB = mac1Key(BOB_KEYS);
    /** Where initiation and response carry the sender index (the same offset in both). */
    private static final int SENDER_OFFSET = HandshakeMessages.INITIATION_SENDER_OFFSET;
    private static final byte[] SOURCE = {(byte) 198, 51, 100, 1, (byte) 0xCA, 0x6C};

    private static final OverlayCa CA = OverlayCa.create("fuzz-ca", OVERLAY, T0, T0.plusSeconds(365L * 86400), RANDOM);
    private static final byte[] NODE_KEY = X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM));
    private static final NodeCertificate NODE = CA.issue("node-a", NODE_KEY, List.of(IpPrefix.parse("192.0.2.7/24")),
            List.of("storage"), T0, T0.plusSeconds(30L * 86400), RANDOM);
    private static final RevocationList CRL = CA.revoke(null, List.of(BigInteger.valueOf(42)), T0.plusSeconds(60));
    private static final MembershipVerifier VERIFIER = MembershipVerifier.forCa(CA.certificate()).withRevocations(CRL);
    private static final Path KEY_DIR;

    static {
        Arrays.fill(KEY, (byte) 7);
        Suite[] suites = Suite.values();
        for (int i = 0; i < 2; i++) {
            SEALERS[i] = new PacketSealer(suites[i], KEY, INDEX, new AeadScratch());
            OPENERS[i] = new PacketOpener(suites[i], KEY, INDEX, new AeadScratch());
            ALICE[i] = new Handshaker(suites[i], ALICE_KEYS, CLOCK, RANDOM);
            BOB[i] = new Handshaker(suites[i], BOB_KEYS, CLOCK, RANDOM);
            BOB_AT_ALICE[i] = ALICE[i].addPeer(1, BOB_KEYS.publicKey(), null);
            BOB[i].addPeer(2, ALICE_KEYS.publicKey(), null);
        }
        try {
            KEY_DIR = Files.createTempDirectory("ipop-fuzz-keys");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @AfterAll
    static void free() throws IOException {
        for (int i = 0; i < 2; i++) {
            SEALERS[i].close();
            OPENERS[i].close();
        }
        Files.deleteIfExists(KEY_DIR.resolve("key"));
        Files.deleteIfExists(KEY_DIR);
    }

    private static Blake2s.Mac mac1Key(NoiseKeyPair receiver) {
        byte[] key = Construction.labelKey(new Blake2s(), Construction.LABEL_MAC1, receiver.publicKey());
        return new Blake2s.Mac(key, 0, key.length);
    }

    /**
     * Input: a flags byte (bit 0: suite; bit 1: seal the rest as a payload with the matching key,
     * then flip the byte the next two bytes point at, if inside), then the message.
     */
    @FuzzTest
    void transport(byte[] data) {
        if (data.length < 1) {
            return;
        }
        int suite = data[0] & 1;
        if ((data[0] & 2) == 0) {
            MemorySegment packet = MemorySegment.ofArray(Arrays.copyOfRange(data, 1, data.length));
            int r = OPENERS[suite].open(packet, 0, data.length - 1);
            assertTrue(r < 0, "random bytes opened: " + r);
            return;
        }
        if (data.length < 3) {
            return;
        }
        int flip = ((data[1] & 0xFF) << 8) | (data[2] & 0xFF);
        int payload = data.length - 3;
        MemorySegment packet = MemorySegment.ofArray(new byte[payload + TransportHeader.OVERHEAD]);
        MemorySegment.copy(data, 3, packet, ValueLayout.JAVA_BYTE, TransportHeader.LENGTH, payload);
        int sealed = SEALERS[suite].seal(packet, 0, payload);
        assertEquals(payload + TransportHeader.OVERHEAD, sealed);
        boolean flipped = flip < sealed;
        if (flipped) {
            packet.set(ValueLayout.JAVA_BYTE, flip, (byte) (packet.get(ValueLayout.JAVA_BYTE, flip) ^ 0x5A));
        }
        int r = OPENERS[suite].open(packet, 0, sealed);
        if (flipped) {
            assertTrue(r < 0, "a message with byte " + flip + " changed opened: " + r);
        } else {
            assertEquals(payload, r);
            assertArrayEquals(Arrays.copyOfRange(data, 3, data.length),
                    packet.asSlice(TransportHeader.LENGTH, payload).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * Input: a flags byte, then bytes. Bits 0-1: initiation to Bob, response to Alice, cookie reply to
     * Alice, or raw bytes of any length to either; bit 2: suite; bit 3: receiver under load; bit 4:
     * recompute mac1 for the receiver; bit 5: XOR the bytes into a genuine message instead of using
     * them as the message. Anything accepted must be a genuine message in every byte mac1 covers.
     */
    @FuzzTest
    void handshake(byte[] data) {
        if (data.length < 1) {
            return;
        }
        int flags = data[0];
        int kind = flags & 3;
        int suite = (flags >>> 2) & 1;
        boolean underLoad = (flags & 8) != 0;
        boolean fixMac1 = (flags & 16) != 0;
        boolean mutate = (flags & 32) != 0;
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        CLOCK.advanceSeconds(6); // past the rate limit and the initiation timestamp of the last round
        Handshaker alice = ALICE[suite];
        Handshaker bob = BOB[suite];
        byte[] out = new byte[HandshakeMessages.MAX_LENGTH];
        byte[] initiation = new byte[HandshakeMessages.INITIATION_LENGTH];
        alice.createInitiation(BOB_AT_ALICE[suite], initiation, 0);
        if (kind == 3) {
            Handshaker to = (flags & 16) != 0 ? alice : bob;
            to.setUnderLoad(underLoad);
            Outcome o = to.consume(rest, 0, rest.length, SOURCE, 0, SOURCE.length, out, 0);
            assertTrue(!o.accepted() || Arrays.equals(rest, initiation), "raw bytes accepted: " + o);
            return;
        }
        byte[] genuine;
        Handshaker to;
        int mac1Offset;
        Blake2s.Mac mac1;
        if (kind == 0) {
            genuine = initiation;
            to = bob;
            mac1Offset = HandshakeMessages.INITIATION_MAC1_OFFSET;
            mac1 = MAC1_TO_BOB;
        } else {
            bob.setUnderLoad(kind == 2);
            if (kind == 2) {
                Arrays.fill(initiation, HandshakeMessages.INITIATION_MAC2_OFFSET, HandshakeMessages.INITIATION_LENGTH,
                        (byte) 0);
            }
            Outcome reply = bob.consume(initiation, 0, initiation.length, SOURCE, 0, SOURCE.length, out, 0);
            assertTrue(reply.hasReply(), "the genuine initiation got " + reply);
            genuine = Arrays.copyOf(out, bob.replyLength());
            to = alice;
            mac1Offset = kind == 1 ? HandshakeMessages.RESPONSE_MAC1_OFFSET : -1;
            mac1 = MAC1_TO_ALICE;
        }
        byte[] message;
        if (mutate) {
            message = genuine.clone();
            for (int i = 0; i < rest.length && i < message.length; i++) {
                message[i] ^= rest[i];
            }
        } else {
            message = Arrays.copyOf(rest, genuine.length);
            message[0] = genuine[0];
            message[1] = 0;
            message[2] = 0;
            message[3] = 0;
        }
        if (fixMac1 && mac1Offset > 0) {
            mac1.compute(message, 0, mac1Offset, message, mac1Offset);
        }
        to.setUnderLoad(underLoad);
        Outcome o = to.consume(message, 0, message.length, SOURCE, 0, SOURCE.length, out, 0);
        if (o.accepted() && o != Outcome.COOKIE_REPLY_SENT) {
            // The sender index (bytes 4-7 of an initiation or response) is outside the Noise transcript
            // in WireGuard too: changing it only misdirects the peer's replies. Every other byte counts.
            int covered = mac1Offset > 0 ? mac1Offset : message.length;
            byte[] expected = Arrays.copyOf(genuine, covered);
            byte[] actual = Arrays.copyOf(message, covered);
            if (kind != 2) {
                System.arraycopy(genuine, SENDER_OFFSET, actual, SENDER_OFFSET, 4);
            }
            assertArrayEquals(expected, actual, "accepted a " + kind + " message that is not the genuine one: " + o);
        }
        if (o.hasReply()) {
            assertTrue(to.replyLength() > 0 && to.replyLength() <= HandshakeMessages.MAX_LENGTH);
        }
    }

    /**
     * Input: a flags byte, then bytes. Bits 0-1 pick a node certificate, a CA certificate, a
     * revocation list or PEM text; bit 2: XOR the bytes into the genuine DER instead of using them.
     * Anything that parses must re-encode to the same DER and PEM and parse back to the same fields;
     * a node certificate the verifier accepts must be the genuine one.
     */
    @FuzzTest
    void certificates(byte[] data) {
        if (data.length < 1) {
            return;
        }
        int kind = data[0] & 3;
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        byte[] genuine = switch (kind) {
            case 0 -> NODE.der();
            case 1 -> CA.certificate().der();
            default -> CRL.der();
        };
        byte[] der = rest;
        if ((data[0] & 4) != 0) {
            der = genuine.clone();
            for (int i = 0; i < rest.length; i++) {
                der[i % der.length] ^= rest[i];
            }
        }
        try {
            switch (kind) {
                case 0 -> node(der);
                case 1 -> ca(der);
                case 2 -> crl(der);
                default -> pem(new String(rest, StandardCharsets.UTF_8));
            }
        } catch (CertificateFormatException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an exception without a message");
        }
    }

    private static void node(byte[] der) throws CertificateFormatException {
        NodeCertificate c = NodeCertificate.parse(der);
        NodeCertificate again = NodeCertificate.parse(c.der());
        assertArrayEquals(c.der(), again.der());
        assertEquals(c.name(), again.name());
        assertEquals(c.addresses(), again.addresses());
        assertEquals(c.groups(), again.groups());
        assertArrayEquals(c.publicKey(), again.publicKey());
        assertArrayEquals(c.der(), NodeCertificate.fromPem(c.toPem()).der());
        c.fingerprint();
        c.serialHex();
        MembershipResult r = VERIFIER.verify(der, c.publicKey(), T0.plusSeconds(86400));
        if (r.ok()) {
            assertEquals(NODE.name(), c.name());
            assertEquals(NODE.addresses(), c.addresses());
            assertEquals(NODE.groups(), c.groups());
            assertArrayEquals(NODE.publicKey(), c.publicKey());
        }
    }

    private static void ca(byte[] der) throws CertificateFormatException {
        CaCertificate c = CaCertificate.parse(der);
        CaCertificate again = CaCertificate.parse(c.der());
        assertEquals(c.name(), again.name());
        assertEquals(c.overlayPrefixes(), again.overlayPrefixes());
        assertArrayEquals(c.der(), CaCertificate.fromPem(c.toPem()).der());
        c.fingerprint();
        MembershipVerifier.forCa(c).verify(NODE.der(), NODE.publicKey(), T0.plusSeconds(86400));
    }

    private static void crl(byte[] der) throws CertificateFormatException {
        RevocationList l = RevocationList.parse(der, CA.certificate());
        RevocationList again = RevocationList.parse(l.der(), CA.certificate());
        assertEquals(l.serials(), again.serials());
        assertEquals(l.number(), again.number());
        assertArrayEquals(l.der(), RevocationList.fromPem(l.toPem(), CA.certificate()).der());
        if (!Arrays.equals(der, CRL.der())) {
            assertEquals(CRL.serials(), l.serials(), "a changed list verified with other serials");
        }
    }

    private static void pem(String text) throws CertificateFormatException {
        Pem.decode(Pem.CERTIFICATE, text);
        NodeCertificate.fromPem(text);
    }

    /**
     * Input: the bytes of a private key file (mode 0600), read as {@code ipop} reads one. Documented
     * failures: an {@link IOException} (not UTF-8) or an {@link IllegalArgumentException} naming the
     * problem.
     */
    @FuzzTest
    void keyFile(byte[] data) throws IOException {
        Path file = KEY_DIR.resolve("key");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, data);
        String text;
        try {
            text = PrivateKeyFiles.read(file);
        } catch (IOException e) {
            return;
        }
        try {
            byte[] key = X25519Keys.fromBase64(text, "the fuzzed key");
            assertEquals(X25519Keys.KEY_BYTES, key.length);
            assertEquals(32, X25519Keys.publicKey(key).length);
            NoiseKeyPair.fromPrivateKey(key);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an exception without a message");
        }
    }

    /** Every target above on one input (the first byte picks), for the bounded run in the build. */
    @FuzzTest
    void fuzzAll(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        switch (Byte.toUnsignedInt(data[0]) % 4) {
            case 0 -> transport(rest);
            case 1 -> handshake(rest);
            case 2 -> certificates(rest);
            default -> keyFile(rest);
        }
    }
}
