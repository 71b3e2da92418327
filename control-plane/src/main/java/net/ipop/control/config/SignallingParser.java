package net.ipop.control.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.stringprep.XmppStringprepException;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The {@code signalling} list: one entry per overlay the node joins through an XMPP server. Each
 * entry on its own, then the rules across entries (an overlay and an account appear once). The
 * password file is checked (owner-only, one non-empty line) but its content is not kept. The
 * server's name is not resolved here.
 */
final class SignallingParser {
    static final List<String> KEYS = List.of("overlay", "server", "port", "account", "passwordFile", "room", "tls",
            "serverCertificateFile", "connectTimeoutMs", "certificateFile", "caFile", "crlFile", "allowedGroups");
    static final int MIN_TIMEOUT_MS = 1_000;
    static final int MAX_TIMEOUT_MS = 120_000;
    /** RFC 1123 host names: labels of letters, digits and inner hyphens, dot-separated. */
    private static final Pattern HOST_NAME =
            Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private final Problems problems;
    private final Path base;
    private final String nodeName;
    private final StaticPublicKey nodeKey;
    private final Map<String, Section.Located<String>> overlays = new HashMap<>();
    private final Map<String, Section.Located<String>> accounts = new HashMap<>();

    /**
     * @param nodeName the node's name, or null if it has a problem (then the certificate's name is not checked)
     * @param nodeKey  the node's public key, or null if it has a problem (then the certificate's key is not checked)
     */
    SignallingParser(Problems problems, Path base, String nodeName, StaticPublicKey nodeKey) {
        this.problems = problems;
        this.base = base;
        this.nodeName = nodeName;
        this.nodeKey = nodeKey;
    }

    /** Parses the elements of {@code signalling}; returns the entries without problems, in order. */
    List<SignallingConfig> parse(List<Node> items) {
        List<SignallingConfig> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            SignallingConfig c = entry(items.get(i), Section.element("signalling", i));
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    private SignallingConfig entry(Node item, String path) {
        Section s = Section.open(item, path, problems, KEYS);
        if (s == null) {
            return null;
        }
        boolean ok = true;
        String overlay = s.requireText("overlay", "name the overlay, e.g. overlay: lab");
        if (overlay != null && !NodeConfigParser.isValidNodeName(overlay)) {
            problems.at(s.get("overlay"), s.child("overlay"), "'" + overlay + "' is not a valid overlay name; use 1"
                    + " to 32 characters a-z, 0-9 and '-', starting with a letter, e.g. lab");
            overlay = null;
        } else if (overlay != null && !unique(overlays, overlay, s, "overlay", "overlay '" + overlay + "'",
                "join each overlay once")) {
            ok = false;
        }
        String account = s.requireText("account", "give this node's account on the server, e.g. account:"
                + " alpha@xmpp.example.org");
        if (account != null && !isBareJid(account)) {
            problems.at(s.get("account"), s.child("account"), "'" + account + "' is not an account; write it as"
                    + " name@domain (a bare JID without /resource), e.g. alpha@xmpp.example.org");
            account = null;
        } else if (account != null && !unique(accounts, account, s, "account", "account " + account,
                "give each overlay its own account")) {
            ok = false;
        }
        String domain = account == null ? null : account.substring(account.indexOf('@') + 1);
        String server = s.optionalText("server", "write the server's host name or IP address, or leave it out");
        if (server != null) {
            server = server.strip();
            if (Endpoints.literal(server) == null && !HOST_NAME.matcher(server).matches()) {
                problems.at(s.get("server"), s.child("server"), "'" + server + "' is neither a host name nor an IP"
                        + " address; write it like xmpp.example.org or 203.0.113.10");
                ok = false;
            }
        } else {
            server = domain;
        }
        int port = s.integer("port", SignallingConfig.DEFAULT_PORT, 1, 65535, "use a port from 1 to 65535, e.g. "
                + SignallingConfig.DEFAULT_PORT);
        String fix = "give the file holding the account's password, e.g. passwordFile: /etc/ipop/lab.password"
                + " (mode 600)";
        Path passwordFile = s.require("passwordFile", fix) == null ? null : s.path("passwordFile", base, null, fix);
        if (passwordFile != null) {
            try {
                Arrays.fill(SecretFiles.readPassword(passwordFile), '\0');
            } catch (IOException e) {
                problems.at(s.get("passwordFile"), s.child("passwordFile"), e.getMessage());
                ok = false;
            }
        }
        String room = s.optionalText("room", "write the room as name@service, or leave it out");
        if (room != null && !isBareJid(room)) {
            problems.at(s.get("room"), s.child("room"), "'" + room + "' is not a room; write it as name@service,"
                    + " e.g. lab@conference.xmpp.example.org, or leave it out for <overlay>@conference.<domain>");
            ok = false;
        } else if (room == null && overlay != null && domain != null) {
            room = SignallingConfig.defaultRoom(overlay, domain);
        }
        List<String> modes = Arrays.stream(SignallingConfig.TlsMode.values())
                .map(SignallingConfig.TlsMode::configName).toList();
        SignallingConfig.TlsMode tls = SignallingConfig.TlsMode.values()[s.choice("tls", 0, modes)];
        Optional<Path> serverCertificate = Optional.empty();
        if (s.get("serverCertificateFile") != null) {
            String cfix = "give a PEM file holding the server's certificate, or leave it out to trust the system's"
                    + " certificate authorities";
            Path p = s.path("serverCertificateFile", base, null, cfix);
            if (p != null && tls == SignallingConfig.TlsMode.PLAIN) {
                problems.at(s.get("serverCertificateFile"), s.child("serverCertificateFile"), "a server certificate"
                        + " needs TLS, but tls is plain; set tls: required or remove this key");
                ok = false;
            } else if (p != null) {
                String why = certificateProblem(p);
                if (why != null) {
                    problems.at(s.get("serverCertificateFile"), s.child("serverCertificateFile"), why + "; " + cfix);
                    ok = false;
                } else {
                    serverCertificate = Optional.of(p);
                }
            } else {
                ok = false;
            }
        }
        int timeout = s.integer("connectTimeoutMs", SignallingConfig.DEFAULT_CONNECT_TIMEOUT_MS, MIN_TIMEOUT_MS,
                MAX_TIMEOUT_MS, "use " + MIN_TIMEOUT_MS + " to " + MAX_TIMEOUT_MS + " ms, e.g. "
                        + SignallingConfig.DEFAULT_CONNECT_TIMEOUT_MS);
        MembershipConfig membership = new MembershipParser(problems, base, nodeName, nodeKey).parse(s);
        if (!ok || overlay == null || account == null || passwordFile == null || room == null
                || membership == null) {
            return null;
        }
        return new SignallingConfig(overlay, server, port, account, passwordFile, room, tls, serverCertificate,
                timeout, Optional.of(membership));
    }

    /** A JID {@code local@domain} with no resource, as jxmpp (Smack's JID library) accepts it. */
    static boolean isBareJid(String s) {
        int at = s.indexOf('@');
        if (at <= 0 || at == s.length() - 1 || s.indexOf('/') >= 0 || s.indexOf('@', at + 1) >= 0
                || !s.strip().equals(s)) {
            return false;
        }
        try {
            return JidCreate.entityBareFrom(s).toString().equals(s.toLowerCase(java.util.Locale.ROOT));
        } catch (XmppStringprepException e) {
            return false;
        }
    }

    private static String certificateProblem(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            CertificateFactory.getInstance("X.509").generateCertificate(in);
            return null;
        } catch (IOException e) {
            return "cannot read " + p + " (" + e.getMessage() + ")";
        } catch (CertificateException e) {
            return p + " holds no X.509 certificate in PEM";
        }
    }

    private boolean unique(Map<String, Section.Located<String>> seen, String value, Section s, String key,
            String what, String fix) {
        Section.Located<String> here = new Section.Located<>(value, s.get(key), s.child(key));
        Section.Located<String> first = seen.putIfAbsent(value, here);
        if (first != null) {
            problems.at(here.node(), here.key(), what + " is already used by " + first.key() + " (line "
                    + Problems.line(first.node()) + "); " + fix);
            return false;
        }
        return true;
    }
}
