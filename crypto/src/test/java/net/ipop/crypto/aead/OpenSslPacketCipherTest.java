package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every {@link PacketCipherTest} on the OpenSSL implementation, which this machine must offer. */
class OpenSslPacketCipherTest extends PacketCipherTest {
    @Override
    boolean useOpenSsl() {
        return true;
    }

    @Test
    void openSslIsTheDefaultHere() {
        assertTrue(AeadImplementation.openSsl(), AeadImplementation.describe());
        assertTrue(AeadImplementation.describe().startsWith("OpenSSL"), AeadImplementation.describe());
    }
}
