package net.ipop.control.signal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;

import javax.net.SocketFactory;

import net.ipop.ffm.testing.TestNamespace;

/**
 * Opens TCP sockets inside a test's network namespace, whichever thread asks (Smack's reconnection
 * thread included): the socket's file descriptor is created on the namespace's own thread, and a
 * socket belongs to the namespace it was created in. {@link SocketChannel#open} makes the
 * descriptor at once, unlike {@code new Socket()}, which defers it.
 */
public final class NamespaceSockets extends SocketFactory {
    private final TestNamespace ns;

    public NamespaceSockets(TestNamespace ns) {
        this.ns = ns;
    }

    @Override
    public Socket createSocket() throws IOException {
        try {
            return ns.call(() -> SocketChannel.open().socket());
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot open a socket in " + ns.name(), e);
        }
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(InetAddress.ofLiteral(host), port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        throw new IOException("binding a local address is not supported here");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        throw new IOException("binding a local address is not supported here");
    }

    private Socket connected(InetSocketAddress to) throws IOException {
        Socket s = createSocket();
        s.connect(to, 10_000);
        return s;
    }
}
