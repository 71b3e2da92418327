package net.ipop.control.overlay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.SignallingConfig;
import net.ipop.control.ice.IceConfig;
import net.ipop.control.reload.ReloadTarget;
import net.ipop.crypto.cert.MembershipResult;
import net.ipop.crypto.cert.NodeCertificate;

/**
 * Applies a reload (SIGHUP) to a running {@link OverlayNode}, on the node's thread:
 * <ul>
 * <li><b>Admission.</b> Each overlay's revocation list ({@code crlFile}, read again even when its path is
 *     unchanged: a newer list in the same file is the usual case) and {@code allowedGroups} are loaded again, and
 *     every admitted member is judged again: one the overlay now refuses (revoked, no longer in an allowed group,
 *     expired) is disconnected, its sessions retired in the data plane, with a log line naming it and why. A
 *     peer still in the room whose certificate was refused earlier and now passes is admitted. Membership files
 *     that no longer read leave that overlay's admission as it was (logged).</li>
 * <li><b>ICE.</b> A new {@code ice.consentTimeoutMs} applies to every ICE session, running or new.</li>
 * <li><b>Static peers</b> alongside are reconfigured as on a static node; the overlay members are not the
 *     config's and are left alone.</li>
 * <li><b>{@code suite}</b> applies to members admitted from now on (and static peers).</li>
 * </ul>
 * Everything else was refused by the reloader before ({@code restart needed}).
 *
 * <p>Threading: {@link #reload} may be called from any thread; the work runs in the node's duty cycle.
 */
public final class OverlayReload implements ReloadTarget {
    private static final Logger LOG = System.getLogger(OverlayReload.class.getName());

    private final OverlayNode node;

    public OverlayReload(OverlayNode node) {
        this.node = node;
    }

    @Override
    public void reload(NodeConfig running, NodeConfig next) {
        node.runOnNodeThread(() -> apply(running, next, Instant.now()));
    }

    /** On the node's thread. */
    void apply(NodeConfig running, NodeConfig next, Instant now) {
        node.config(next); // first: a member admitted below gets the reloaded suite
        for (SignallingConfig s : next.signalling()) {
            Membership old = node.membership(s.overlay());
            if (old == null || s.membership().isEmpty()) {
                continue;
            }
            try {
                // Our own certificate stays the one announced in the room: a renewed one needs a restart.
                node.membership(s.overlay(), new Membership(old.certificate(),
                        Membership.load(s.membership().get()).verifier()));
            } catch (IOException e) {
                LOG.log(Level.ERROR, "reload: overlay {0}: {1}; its admission is unchanged", s.overlay(),
                        e.getMessage());
            }
        }
        for (OverlayPeer p : node.admitted()) {
            MembershipResult r = node.membership(p.overlay).verifier().verify(p.certificate,
                    p.certificate.publicKey(), now);
            if (!r.ok()) {
                LOG.log(Level.WARNING, "reload: member {0} disconnected: {1} ({2})", p, r.detail(), r.reason());
                node.refuse(p, "refused since the reload: " + r.detail());
            }
        }
        for (Map.Entry<String, NodeCertificate> e : node.refusedPresent().entrySet()) {
            String overlay = e.getKey().substring(0, e.getKey().indexOf('/'));
            String peer = e.getKey().substring(overlay.length() + 1);
            if (node.membership(overlay).verifier().verify(e.getValue(), e.getValue().publicKey(), now).ok()) {
                LOG.log(Level.INFO, "reload: {0} in overlay {1} is admitted now", peer, overlay);
                node.onPeerPresent(overlay, peer, e.getValue());
            }
        }
        if (running.ice().consentTimeoutMs() != next.ice().consentTimeoutMs()) {
            IceConfig ice = node.iceConfig();
            node.iceConfig(new IceConfig(ice.stunServers(), ice.turnServers(), next.ice().consentTimeoutMs()));
            LOG.log(Level.INFO, "reload: ice.consentTimeoutMs now {0}", next.ice().consentTimeoutMs());
        }
        if (!running.peers().equals(next.peers())) {
            Set<Integer> members = new HashSet<>();
            for (OverlayPeer p : node.admitted()) {
                members.add(p.peerId);
            }
            List<String> changes = node.node().reconfigure(next.peers(), members::contains);
            for (String change : changes) {
                LOG.log(Level.INFO, "reload: {0}", change);
            }
        }
    }
}
