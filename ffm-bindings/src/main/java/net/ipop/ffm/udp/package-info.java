/**
 * The data plane's UDP sockets, bound by hand through FFM because Java's socket API reaches
 * neither UDP GSO nor GRO.
 *
 * <p>Receive: {@link net.ipop.ffm.udp.UdpSocket#receive} fills the slots of a
 * {@link net.ipop.ffm.udp.MessageBatch} with one {@code recvmmsg}: per slot the payload, its
 * length, the source ({@code remote}), the address it was sent to ({@code local}, from pktinfo) and
 * the GRO segment size when the kernel coalesced several datagrams into one read.
 *
 * <p>Send: the caller writes payload, length, destination, optional source and optional GSO
 * segment size into slots, and {@link net.ipop.ffm.udp.UdpSocket#send} hands them to one
 * {@code sendmmsg}; a slot with a segment size leaves as one super-datagram the kernel (or the
 * device) cuts into segments. If the kernel refuses GSO, the socket falls back to cutting the slot
 * itself ({@code GsoSplitter}), pointing one message at each segment of the same buffer.
 *
 * <p>Addresses are {@link net.ipop.ffm.udp.SockAddr} flyweights over kernel
 * {@code sockaddr_in}/{@code sockaddr_in6} bytes, compared, hashed and copied in place.
 * Everything a batch returns is borrowed until the next call with that batch.
 */
package net.ipop.ffm.udp;
