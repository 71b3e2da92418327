package net.ipop.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.NodeCertificate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ipop cert show}: a node (or CA) certificate in words or JSON. Shows what the file says;
 * it does not say whether a CA trusts it (a node decides that when the peer connects).
 */
@Command(name = "show", description = "Show a node or CA certificate: name, key, addresses, groups, validity,"
        + " issuer, serial, fingerprint.")
final class CertShowCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Parameters(paramLabel = "FILE", description = "A certificate PEM file (node-1.crt, ca.crt).")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            Map<String, Object> fields = describe(read());
            PrintWriter o = spec.commandLine().getOut();
            if (json) {
                o.println(Json.object(fields));
            } else {
                for (Map.Entry<String, Object> e : fields.entrySet()) {
                    Object v = e.getValue();
                    String text = v instanceof List<?> l ? (l.isEmpty() ? "(none)" : CaCreateCommand.join(l)) : v.toString();
                    o.printf("%-12s %s%n", e.getKey() + ":", text);
                }
            }
            return 0;
        });
    }

    private String read() {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw CliError.failed("FILE " + file + ": no such file; give the path of a certificate 'ipop cert sign' or"
                    + " 'ipop ca create' wrote");
        } catch (IOException e) {
            throw CliError.failed("FILE " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    private Map<String, Object> describe(String pem) {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            NodeCertificate c = NodeCertificate.fromPem(pem);
            m.put("kind", "node");
            m.put("name", c.name());
            m.put("key", c.publicKeyBase64());
            m.put("addresses", strings(c.addresses()));
            m.put("groups", c.groups());
            m.put("not before", c.notBefore().toString());
            m.put("not after", c.notAfter().toString());
            m.put("issuer", c.issuer());
            m.put("serial", c.serialHex());
            m.put("fingerprint", "sha256:" + c.fingerprint());
            return m;
        } catch (CertificateFormatException nodeError) {
            try {
                CaCertificate c = CaCertificate.fromPem(pem);
                m.put("kind", "ca");
                m.put("name", c.name());
                m.put("overlay", strings(c.overlayPrefixes()));
                m.put("not before", c.notBefore().toString());
                m.put("not after", c.notAfter().toString());
                m.put("serial", c.serial().toString(16));
                m.put("fingerprint", "sha256:" + c.fingerprint());
                return m;
            } catch (CertificateFormatException caError) {
                throw CliError.failed("FILE " + file + ": not an IPOP certificate (" + nodeError.getMessage() + ")");
            }
        }
    }

    private static List<String> strings(List<?> items) {
        List<String> out = new ArrayList<>(items.size());
        for (Object i : items) {
            out.add(i.toString());
        }
        return out;
    }

    /** Just enough JSON for flat objects of strings and string lists. */
    static final class Json {
        private Json() {
        }

        static String object(Map<String, Object> fields) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                string(sb, camel(e.getKey())).append(':');
                if (e.getValue() instanceof List<?> l) {
                    sb.append('[');
                    for (int i = 0; i < l.size(); i++) {
                        string(i == 0 ? sb : sb.append(','), l.get(i).toString());
                    }
                    sb.append(']');
                } else {
                    string(sb, e.getValue().toString());
                }
            }
            return sb.append('}').toString();
        }

        /** "not before" -> "notBefore": the text labels double as JSON keys. */
        private static String camel(String label) {
            StringBuilder sb = new StringBuilder(label.length());
            boolean up = false;
            for (char c : label.toCharArray()) {
                if (c == ' ') {
                    up = true;
                } else {
                    sb.append(up ? Character.toUpperCase(c) : c);
                    up = false;
                }
            }
            return sb.toString();
        }

        private static StringBuilder string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.append('"');
        }
    }
}
