/**
 * TUN/TAP devices for the data plane, bound by hand through FFM.
 *
 * <p>{@link net.ipop.ffm.tun.TunDevice} creates the interface ({@code /dev/net/tun} + TUNSETIFF)
 * with one non-blocking {@link net.ipop.ffm.tun.TunQueue} per descriptor; with
 * {@code IFF_MULTI_QUEUE} the kernel spreads flows across queues so each can have its own thread.
 * With a virtio-net header every packet starts with a {@link net.ipop.ffm.tun.VirtioNetHeader}, and
 * the {@link net.ipop.ffm.tun.TunOffload} flags the kernel accepted let it hand over TCP/UDP
 * super-packets larger than the MTU and leave checksums to be completed. Queues read and write
 * batches into caller-owned native memory; nothing on that path allocates.
 *
 * <p>Kernel structs mirrored here: {@code struct ifreq} ({@code IfReq}) and
 * {@code struct virtio_net_hdr}; request numbers and flags are in {@code TunAbi}.
 */
package net.ipop.ffm.tun;
