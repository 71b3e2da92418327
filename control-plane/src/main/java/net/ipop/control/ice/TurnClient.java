package net.ipop.control.ice;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * Requests to one TURN server with its long-term credential (RFC 8489 section 9.2), over a {@link TurnLink}: the
 * first request goes without one, the 401 answer brings REALM and NONCE and the request is repeated with USERNAME,
 * REALM, NONCE and MESSAGE-INTEGRITY; the credential is kept for later requests, and a 438 (stale nonce) is
 * repeated with the new nonce. The username is not SASLprep'ed: configured credentials are taken as they are.
 *
 * <p>Threading: any thread; requests may run concurrently (each has its own transaction), the credential is
 * guarded by this object's lock, never held during an exchange.
 */
final class TurnClient {
    /** How long one exchange with the server may take. */
    private static final long EXCHANGE_TIMEOUT_MS = 2000;
    /** Requests for one answer: without a credential, with it, and once more after a 438. */
    private static final int MAX_REQUESTS = 3;

    private final IceConfig.TurnServer server;
    private final TurnLink link;
    private TurnRefresh.Credential credential;

    TurnClient(IceConfig.TurnServer server, TurnLink link) {
        this.server = server;
        this.link = link;
    }

    IceConfig.TurnServer server() {
        return server;
    }

    /**
     * One request, built by {@code make} for each try (a fresh transaction id); blocks for the exchanges.
     *
     * @return the last answer (a success, or an error other than one the credential answers), or null if none came
     * @throws IOException if the link refuses to send
     */
    byte[] request(Supplier<TurnMessage> make) throws IOException, InterruptedException {
        for (int n = 0; n < MAX_REQUESTS; n++) {
            TurnRefresh.Credential c = credential();
            byte[] answer = link.exchange(make.get().build(c), EXCHANGE_TIMEOUT_MS);
            if (answer == null || StunPackets.messageClass(answer, 0) != StunPackets.CLASS_ERROR) {
                return answer;
            }
            int code = TurnRefresh.errorCode(answer, 0, answer.length);
            byte[] nonce = TurnRefresh.attributeValue(answer, 0, answer.length, TurnRefresh.ATTR_NONCE);
            byte[] realm = TurnRefresh.attributeValue(answer, 0, answer.length, TurnRefresh.ATTR_REALM);
            boolean retry = (code == TurnRefresh.UNAUTHENTICATED && c == null) || code == TurnRefresh.STALE_NONCE;
            if (!retry || nonce == null || (realm == null && c == null)) {
                return answer;
            }
            synchronized (this) {
                credential = TurnRefresh.Credential.of(server.username(), server.password(),
                        realm != null ? realm : c.realm(), nonce);
            }
        }
        return null;
    }

    /** Sends {@code m} with the credential learnt so far, awaiting no answer. */
    void sendOnce(TurnMessage m) throws IOException {
        link.send(m.build(credential()));
    }

    /** Sends a datagram that expects no answer (an indication, ChannelData); the bytes become the link's. */
    void send(byte[] datagram) throws IOException {
        link.send(datagram);
    }

    private synchronized TurnRefresh.Credential credential() {
        return credential;
    }
}
