package net.ipop.crypto.cert;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;

import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/** RFC 7468 text encoding of the DER objects IPOP writes to files: one object per file. */
public final class Pem {
    public static final String CERTIFICATE = "CERTIFICATE";
    public static final String X509_CRL = "X509 CRL";
    public static final String PRIVATE_KEY = "PRIVATE KEY";

    private Pem() {
    }

    public static String encode(String type, byte[] der) {
        StringWriter s = new StringWriter();
        try (PemWriter w = new PemWriter(s)) {
            w.writeObject(new PemObject(type, der));
        } catch (IOException e) {
            throw new AssertionError("a StringWriter does not fail", e);
        }
        return s.toString();
    }

    /**
     * The DER inside the first PEM block of the text.
     *
     * @throws CertificateFormatException if there is no block, or it is of another type
     */
    public static byte[] decode(String type, String text) throws CertificateFormatException {
        PemObject o;
        try (PemReader r = new PemReader(new StringReader(text))) {
            o = r.readPemObject();
        } catch (IOException | RuntimeException e) {
            throw new CertificateFormatException("not valid PEM (" + e.getMessage() + ")", e);
        }
        if (o == null) {
            throw new CertificateFormatException("no '-----BEGIN " + type + "-----' block found");
        }
        if (!o.getType().equals(type)) {
            throw new CertificateFormatException("found a PEM '" + o.getType() + "' block where a '" + type
                    + "' was expected");
        }
        return o.getContent();
    }
}
