package net.ipop.crypto.cert;

import java.util.regex.Pattern;

/**
 * The rule for node and group names: they appear in allow lists, logs and file names, so they are
 * kept to DNS-label-like text. 1 to 63 characters of letters, digits, '.', '_' and '-', starting
 * with a letter or digit.
 */
public final class Names {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private Names() {
    }

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Throws {@link IllegalArgumentException} naming {@code what} and the rule if the name is invalid. */
    public static String require(String name, String what) {
        if (!isValid(name)) {
            throw new IllegalArgumentException(what + " '" + name + "' is not a valid name: use 1 to 63 letters, digits,"
                    + " '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }
}
