package io.berth.events.validation;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import java.util.regex.Pattern;

/**
 * Schema {@code pattern}s with ECMA-262's meaning of {@code $}: the end of the text. Java's {@code $}
 * also matches before a final line break, so {@code ^[A-Za-z0-9][A-Za-z0-9_-]*$} would accept the
 * name {@code "db\n"}; here every {@code $} anchor is compiled as {@code \z}.
 */
final class EndAnchoredRegex implements RegularExpressionFactory {
    static final EndAnchoredRegex FACTORY = new EndAnchoredRegex();

    private EndAnchoredRegex() {}

    @Override
    public RegularExpression getRegularExpression(String regex) {
        Pattern pattern = Pattern.compile(toJava(regex));
        return value -> pattern.matcher(value).find();
    }

    /** {@code regex} with each {@code $} outside a character class and not escaped written as {@code \z}. */
    static String toJava(String regex) {
        StringBuilder java = new StringBuilder(regex.length() + 4);
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                java.append(c).append(regex.charAt(++i));
            } else if (c == '$' && !inClass) {
                java.append("\\z");
            } else {
                inClass = c == '[' || inClass && c != ']';
                java.append(c);
            }
        }
        return java.toString();
    }
}
