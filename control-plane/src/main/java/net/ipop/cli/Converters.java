package net.ipop.cli;

import java.math.BigInteger;

import net.ipop.crypto.cert.IpPrefix;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for the certificate verbs; a failure is a usage error naming the option. */
final class Converters {
    private Converters() {
    }

    /** {@code 192.0.2.5/24} or {@code 2001:db8::5/64}. */
    static final class Prefix implements ITypeConverter<IpPrefix> {
        @Override
        public IpPrefix convert(String value) {
            try {
                return IpPrefix.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A certificate serial number in hex as {@code ipop cert show} prints it; colons and 0x allowed. */
    static final class Serial implements ITypeConverter<BigInteger> {
        @Override
        public BigInteger convert(String value) {
            String hex = value.replace(":", "");
            if (hex.startsWith("0x") || hex.startsWith("0X")) {
                hex = hex.substring(2);
            }
            if (hex.isEmpty() || hex.length() > 40 || !hex.matches("[0-9A-Fa-f]+")) {
                throw new TypeConversionException("'" + value + "' is not a serial number; give it in hex as"
                        + " 'ipop cert show' prints it (up to 40 digits)");
            }
            BigInteger s = new BigInteger(hex, 16);
            if (s.signum() == 0) {
                throw new TypeConversionException("serial number 0 is never issued");
            }
            return s;
        }
    }
}
