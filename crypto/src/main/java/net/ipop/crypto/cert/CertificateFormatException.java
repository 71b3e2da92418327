package net.ipop.crypto.cert;

/**
 * A certificate, CRL or PEM text is not something IPOP accepts: not DER, not the expected type,
 * missing a required extension, or failing its signature check. The message says which.
 */
public final class CertificateFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public CertificateFormatException(String message) {
        super(message);
    }

    public CertificateFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
